//! GET /geocode (names → places) and GET /reverse (a point → the places containing it).

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa::IntoParams;

use super::format::{from_f, Format};
use super::openapi::GeoJsonOnly;
use super::problem::{ApiError, Problem};
use super::responses::content_crs;
use super::AppState;
use crate::crs::Crs;
use crate::service::gazetteer::{self, GeocodeAnswer, ReverseAnswer};
use crate::service::QueryParams;

/// The query of GET /geocode.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GeocodeQuery {
    /// Place name
    q: String,
    /// At most this many places (1..100, default 10)
    #[param(minimum = 1, maximum = 100, default = 10, required = false)]
    limit: usize,
    /// Output format; wins over the Accept header
    #[param(value_type = GeoJsonOnly, inline, required = false)]
    f: Format,
}

impl GeocodeQuery {
    /// The names `into_params` lists (a test keeps the two the same).
    const NAMES: &'static [&'static str] = &["q", "limit", "f"];

    fn parse(query_string: &str) -> Result<GeocodeQuery, ApiError> {
        let params = QueryParams::parse(query_string, Self::NAMES, "/geocode")?;
        let f = geojson_only(&params)?;
        let q = params
            .get("q")
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .ok_or_else(|| ApiError::bad("q", "required: the place name to look up"))?;
        let limit = match params.get("limit") {
            None => 10,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|l| (1..=100).contains(l))
                .ok_or_else(|| ApiError::bad("limit", "expected a whole number in 1..100"))?,
        };
        Ok(GeocodeQuery {
            q: q.to_owned(),
            limit,
            f,
        })
    }
}

/// The query of GET /reverse.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReverseQuery {
    /// Longitude (WGS84)
    #[param(minimum = -180.0, maximum = 180.0)]
    lon: f64,
    /// Latitude (WGS84)
    #[param(minimum = -90.0, maximum = 90.0)]
    lat: f64,
    /// Output format; wins over the Accept header
    #[param(value_type = GeoJsonOnly, inline, required = false)]
    f: Format,
}

impl ReverseQuery {
    /// The names `into_params` lists (a test keeps the two the same).
    const NAMES: &'static [&'static str] = &["lon", "lat", "f"];

    fn parse(query_string: &str) -> Result<ReverseQuery, ApiError> {
        let params = QueryParams::parse(query_string, Self::NAMES, "/reverse")?;
        let f = geojson_only(&params)?;
        let number = |name: &str, range: std::ops::RangeInclusive<f64>| {
            let text = params
                .get(name)
                .ok_or_else(|| ApiError::bad(name, "required"))?;
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| range.contains(v))
                .ok_or_else(|| {
                    ApiError::bad(name, format!("'{text}' is not a number in {range:?}"))
                })
        };
        Ok(ReverseQuery {
            lon: number("lon", -180.0..=180.0)?,
            lat: number("lat", -90.0..=90.0)?,
            f,
        })
    }
}

/// `f`, where GeoJSON is the only format: absent, or naming it.
fn geojson_only(params: &QueryParams) -> Result<Format, ApiError> {
    match params.get("f") {
        None => Ok(Format::GeoJson),
        Some(f) => from_f(f, &[Format::GeoJson]),
    }
}

/// GeoJSON in the format asked for (GeoJSON: the only one), its coordinates in CRS84.
fn respond(f: Format, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(f.media_type())
        .insert_header(content_crs(Crs::Crs84))
        .body(body)
}

#[utoipa::path(
    get,
    path = "/geocode",
    operation_id = "geocode",
    summary = "Places whose names match q (spelling-tolerant, Arabic and Latin), best first",
    params(GeocodeQuery),
    responses(
        (status = 200, description = "Anchor points with id, name, kind, score (0..1) and matched",
            body = GeocodeAnswer, content_type = "application/geo+json"),
        (status = 400, description = "Missing q, a bad limit or f, or an unknown or repeated parameter",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geocode(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = GeocodeQuery::parse(req.query_string())?;
    let snap = super::snapshot(&req, &state);
    let answer = gazetteer::geocode(&snap.gazetteer, &query.q, query.limit);
    let body = serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(respond(query.f, body))
}

#[utoipa::path(
    get,
    path = "/reverse",
    operation_id = "reverseGeocode",
    summary = "The places containing a point, most specific first",
    params(ReverseQuery),
    responses(
        (status = 200, description = "Containing places with their polygons",
            body = ReverseAnswer, content_type = "application/geo+json"),
        (status = 400, description = "Missing or out-of-range lon/lat, a bad f, or an unknown or repeated parameter",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reverse(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = ReverseQuery::parse(req.query_string())?;
    let snap = super::snapshot(&req, &state);
    let answer = gazetteer::reverse(&snap.gazetteer, query.lon, query.lat);
    let body = serde_json::to_vec(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(respond(query.f, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::ParameterIn;

    fn names<P: IntoParams>() -> Vec<String> {
        P::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn the_names_vetted_are_the_names_documented() {
        assert_eq!(names::<GeocodeQuery>(), GeocodeQuery::NAMES);
        assert_eq!(names::<ReverseQuery>(), ReverseQuery::NAMES);
    }

    #[test]
    fn a_parameter_given_twice_is_refused_by_name() {
        let err = GeocodeQuery::parse("q=a&q=b").err().expect("refused");
        assert!(
            matches!(&err, ApiError::BadParameter { field, reason }
                if field == "q" && reason == "given more than once"),
            "{err}"
        );
    }
}
