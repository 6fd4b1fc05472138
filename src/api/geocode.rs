//! GET /geocode (names → places) and GET /reverse (a point → the places containing it).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::problem::ApiError;
use super::query::pairs;
use super::responses::geojson_response;
use super::AppState;
use crate::crs::Crs;
use crate::model::incident::PointGeometry;

#[derive(Serialize)]
struct GeocodeFeature<'a> {
    r#type: &'static str,
    id: &'a str,
    geometry: PointGeometry,
    properties: GeocodeProperties<'a>,
}

#[derive(Serialize)]
struct GeocodeProperties<'a> {
    id: &'a str,
    name: &'a str,
    name_ar: Option<&'a str>,
    kind: &'static str,
    parent: Option<&'a str>,
    score: f64,
    matched: &'a str,
    confidence: Option<&'a str>,
    uncertainty_m: Option<f64>,
}

fn only(req: &HttpRequest, allowed: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let pairs = pairs(req.query_string())?;
    for (k, v) in &pairs {
        if k == "f" {
            // GeoJSON only: `f` may name it, nothing else.
            super::format::from_f(v, &[super::format::Format::GeoJson])?;
        } else if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad(
                k,
                format!("unknown parameter; accepted: {}", allowed.join(", ")),
            ));
        }
    }
    Ok(pairs)
}

pub async fn geocode(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = only(&req, &["q", "limit", "f"])?;
    let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let q = get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::bad("q", "required: the place name to look up"))?;
    let limit = match get("limit") {
        None => 10,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| ApiError::bad("limit", "expected a whole number in 1..100"))?,
    };
    let snap = state.atlas.snapshot();
    let g = &snap.gazetteer;
    let matches = g.search(q, limit);
    let features: Vec<GeocodeFeature> = matches
        .iter()
        .map(|m| {
            let p = g.place(m.place);
            GeocodeFeature {
                r#type: "Feature",
                id: &p.id,
                geometry: PointGeometry(p.anchor.x(), p.anchor.y()),
                properties: GeocodeProperties {
                    id: &p.id,
                    name: &p.name,
                    name_ar: p.name_ar.as_deref(),
                    kind: p.kind.as_str(),
                    parent: p.parent.as_deref(),
                    score: m.score,
                    matched: &m.matched,
                    confidence: p.confidence.as_deref(),
                    uncertainty_m: p.uncertainty_m,
                },
            }
        })
        .collect();
    let body = serde_json::json!({
        "type": "FeatureCollection",
        "query": q,
        "numberReturned": features.len(),
        "features": features,
    });
    Ok(geojson_response(body.to_string().into_bytes(), Crs::Crs84))
}

pub async fn reverse(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pairs = only(&req, &["lon", "lat", "f"])?;
    let get = |n: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| ApiError::bad(n, "required"))
    };
    let number = |name: &str, range: std::ops::RangeInclusive<f64>| -> Result<f64, ApiError> {
        let text = get(name)?;
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| range.contains(v))
            .ok_or_else(|| ApiError::bad(name, format!("'{text}' is not a number in {range:?}")))
    };
    let (lon, lat) = (number("lon", -180.0..=180.0)?, number("lat", -90.0..=90.0)?);
    let snap = state.atlas.snapshot();
    let g = &snap.gazetteer;
    let hits = g.containing(lon, lat);
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(format!(
        "{{\"type\":\"FeatureCollection\",\"point\":[{lon},{lat}],\"numberReturned\":{},\"features\":[",
        hits.len()
    ).as_bytes());
    for (n, &i) in hits.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(g.feature_json(i).get().as_bytes());
    }
    out.extend_from_slice(b"]}");
    Ok(geojson_response(out, Crs::Crs84))
}
