//! Why a request cannot be answered, before any HTTP status is chosen: the API layer maps
//! each kind to its status (400, 404, 406, 410).

use crate::collection::SelectError;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// A parameter or body member is malformed, unknown or repeated.
    #[error("{field}: {reason}")]
    Bad { field: String, reason: String },
    /// The request names something that does not exist (a collection, a feature).
    #[error("{0}")]
    NotFound(String),
    /// What a parameter names existed once and is no longer kept (a paging snapshot).
    #[error("{field}: {reason}")]
    Gone { field: String, reason: String },
    /// No representation the client accepts.
    #[error("{0}")]
    NotAcceptable(String),
}

impl RequestError {
    pub fn bad(field: impl Into<String>, reason: impl Into<String>) -> RequestError {
        RequestError::Bad {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<SelectError> for RequestError {
    fn from(e: SelectError) -> RequestError {
        RequestError::bad(e.field, e.reason)
    }
}
