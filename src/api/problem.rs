//! RFC 9457 problem details: every error the API returns is `application/problem+json`
//! naming the field and the reason.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::atlas::{AtlasError, Candidate};
use crate::model::FieldError;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    #[schema(minimum = 100, maximum = 599)]
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(schema_with = super::openapi::field_errors_schema)]
    pub errors: Vec<FieldError>,
    /// Places that might have been meant, when a name did not resolve (present, maybe
    /// empty, on every placement error).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = super::openapi::candidates_schema)]
    pub candidates: Option<Vec<Candidate>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or request member is malformed or unknown (400).
    #[error("{field}: {reason}")]
    BadParameter { field: String, reason: String },
    /// The body is not JSON at all (400).
    #[error("request body is not valid JSON: {0}")]
    BadJson(String),
    /// Well-formed but invalid content (422).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{}", .0.error)]
    Placement(crate::atlas::PlacementError),
    #[error("{0}")]
    NotFound(String),
    /// A path parameter names nothing that exists (404), e.g. a tile outside the matrix.
    #[error("{field}: {reason}")]
    PathNotFound { field: String, reason: String },
    /// What a parameter names existed once and is no longer kept (410), e.g. the snapshot
    /// of a page sequence.
    #[error("{field}: {reason}")]
    Gone { field: String, reason: String },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// Not allowed here; `allow` lists the methods that are (the Allow header).
    #[error("{detail}")]
    MethodNotAllowed { detail: String, allow: &'static str },
    /// No representation the client accepts (406).
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// The client stopped sending its request body (408).
    #[error("{0}")]
    RequestTimeout(String),
    /// Busy now, able later (503): `retry_after` seconds go in the Retry-After header.
    #[error("{detail}")]
    ServiceUnavailable { detail: String, retry_after: u32 },
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
        ApiError::BadParameter {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (errors, candidates) = match self {
            ApiError::BadParameter { field, reason }
            | ApiError::PathNotFound { field, reason }
            | ApiError::Gone { field, reason } => (vec![FieldError::new(field, reason)], None),
            ApiError::Invalid(errors) => (errors.clone(), None),
            ApiError::Placement(p) => (vec![p.error.clone()], Some(p.candidates.clone())),
            _ => (vec![], None),
        };
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors,
            candidates,
        }
    }
}

impl From<AtlasError> for ApiError {
    fn from(e: AtlasError) -> ApiError {
        match e {
            AtlasError::Invalid(errors) => ApiError::Invalid(errors),
            AtlasError::Placement(p) => ApiError::Placement(p),
            e @ AtlasError::NotFound(..) => ApiError::NotFound(e.to_string()),
            AtlasError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "store unavailable");
                ApiError::ServiceUnavailable {
                    detail: "the database cannot be reached just now, so the write was not \
                             made (were the connection lost during its very commit, it may \
                             have been: /changes tells); try again shortly. Reads are still \
                             served."
                        .into(),
                    retry_after: 2,
                }
            }
            AtlasError::Store(e) => {
                tracing::error!(error = %e, "store failure");
                ApiError::Internal(
                    "the database could not complete the write; nothing was stored".into(),
                )
            }
        }
    }
}

impl From<crate::service::RequestError> for ApiError {
    fn from(e: crate::service::RequestError) -> ApiError {
        use crate::service::RequestError as E;
        match e {
            E::Bad { field, reason } => ApiError::BadParameter { field, reason },
            E::NotFound(detail) => ApiError::NotFound(detail),
            E::Gone { field, reason } => ApiError::Gone { field, reason },
            E::NotAcceptable(detail) => ApiError::NotAcceptable(detail),
        }
    }
}

impl From<crate::collection::SelectError> for ApiError {
    fn from(e: crate::collection::SelectError) -> ApiError {
        ApiError::bad(e.field, e.reason)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadParameter { .. } | ApiError::BadJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) | ApiError::Placement(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotFound(_) | ApiError::PathNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Gone { .. } => StatusCode::GONE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        if matches!(self, ApiError::Unauthorized(_)) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"incident-atlas\""));
        }
        if let ApiError::MethodNotAllowed { allow, .. } = self {
            res.insert_header((header::ALLOW, *allow));
        }
        if let ApiError::ServiceUnavailable { retry_after, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        // Plain structs and strings always serialise.
        res.body(serde_json::to_string(&self.problem()).expect("problem serialises"))
    }
}
