//! GET /map: the built-in map viewer. The page is a small shell; its script
//! (assets/viewer/map.js) draws the layers from the OGC API collections and follows the
//! change feed live. What the script needs to start — where the data is, the incidents' extent
//! and dates, the event types — travels as a JSON island in the page, never as script text.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, PreEscaped, DOCTYPE};
use serde::Serialize;

use super::assets::{BASEMAP_BASE, LEAFLET_BASE, MARKERCLUSTER_BASE, VIEWER_BASE};
use super::links::base_url;
use super::problem::ApiError;
use super::responses::html_response;
use super::AppState;
use crate::model::taxonomy;
use crate::service::QueryParams;

/// An online tile layer drawn over the offline base map (`--basemap`); off by default.
#[derive(Debug, Clone, Serialize)]
pub struct TileLayer {
    /// An XYZ URL template with {z}, {x} and {y}, e.g. https://tile.example.org/{z}/{x}/{y}.png
    pub url: String,
    /// Shown in the map's corner, as the tile provider asks.
    pub attribution: String,
}

impl TileLayer {
    /// Checks a template given on the command line: http(s), with {z}, {x} and {y}.
    pub fn new(url: &str, attribution: Option<&str>) -> Result<TileLayer, String> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("--basemap {url}: expected an http(s) URL template"));
        }
        if let Some(missing) = ["{z}", "{x}", "{y}"].iter().find(|p| !url.contains(**p)) {
            return Err(format!("--basemap {url}: the template has no {missing}"));
        }
        Ok(TileLayer {
            url: url.to_owned(),
            attribution: attribution.unwrap_or("").to_owned(),
        })
    }
}

/// What the viewer's script starts from.
#[derive(Serialize)]
struct ViewerConfig<'a> {
    /// Where the API is (the viewer only ever talks to it).
    base: &'a str,
    /// The incidents' extent [west, south, east, north], where the map opens.
    bbox: Option<[f64; 4]>,
    /// The first and last event date: the slider's range.
    dates: Option<(NaiveDate, NaiveDate)>,
    /// ACLED's event types, in the legend's order.
    event_types: Vec<&'static str>,
    /// Features asked for per request.
    limit: usize,
    basemap: Basemap,
    tiles: Option<&'a TileLayer>,
}

#[derive(Serialize)]
struct Basemap {
    land: String,
    borders: String,
}

/// The viewer loads at most this many incidents for one view; beyond, it says how many more.
const PAGE: usize = 5_000;

#[utoipa::path(
    get,
    path = "/map",
    operation_id = "getMap",
    summary = "The map viewer (HTML): incidents, places, clash zones and displacement, a time slider and live updates",
    description = "A page for a browser. Everything it loads comes from this server, so it \
        works offline. Its state (view, time window, event types) lives in the URL's fragment: \
        #map=zoom/lat/lon&from=YYYY-MM-DD&to=YYYY-MM-DD&types=Battles,Riots. The landing page \
        asked for as HTML without f= redirects here.",
    responses(
        (status = 200, description = "The viewer", content((String = "text/html"))),
        (status = 400, description = "A query parameter was given; the page takes none",
            body = super::problem::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn map(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    QueryParams::parse(req.query_string(), &[], "the map")?;
    let base = base_url(&req, &state);
    let extent = super::snapshot(&req, &state)
        .collection("incidents")
        .map(|c| c.extent())
        .unwrap_or_default();
    let config = ViewerConfig {
        base: &base,
        bbox: extent.bbox,
        dates: extent.interval,
        event_types: taxonomy::event_types(),
        limit: PAGE,
        basemap: Basemap {
            land: format!("{base}{BASEMAP_BASE}/land-50m.geojson"),
            borders: format!("{base}{BASEMAP_BASE}/borders-10m.geojson"),
        },
        tiles: state.basemap.as_ref(),
    };
    let json = serde_json::to_string(&config).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(html_response(page(&base, &json)))
}

/// A JSON text safe inside a <script> element: no `<` can close it or open a comment.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
}

fn page(base: &str, config: &str) -> String {
    let viewer = format!("{base}{}", *VIEWER_BASE);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Map – Incident Atlas" }
                link rel="stylesheet" href=(format!("{base}{LEAFLET_BASE}/leaflet.css"));
                link rel="stylesheet" href=(format!("{base}{MARKERCLUSTER_BASE}/MarkerCluster.css"));
                link rel="stylesheet" href=(format!("{viewer}/map.css"));
                link rel="service-desc" type="application/vnd.oai.openapi+json;version=3.0" href=(format!("{base}/api"));
            }
            body.viewer {
                div id="map" {}
                section id="panel" aria-label="Time window, filter and legend" {
                    header {
                        h1 { "Incident Atlas" }
                        span id="live" class="live-off" { "○ off" }
                        a href=(format!("{base}/?f=html")) { "API" }
                    }
                    div.slider {
                        div.track {
                            div id="window" title="Drag to move the time window" {}
                            input type="range" id="from" aria-label="First day of the window" min="0" max="0" value="0";
                            input type="range" id="to" aria-label="Last day of the window" min="0" max="0" value="0";
                        }
                        button id="play" type="button" aria-label="Play" { "▶" }
                    }
                    p.dates { span id="from-label" {} " " span id="to-label" {} small id="range-label" {} }
                    p id="status" role="status" aria-live="polite" { "Loading…" }
                    details id="legend" open {
                        summary { "Legend and filter" }
                        ul id="types" {}
                        p { "Fatalities: " span id="sizes" {} }
                        div.key {
                            "Clash zones by fatalities: "
                            span { span.swatch.square style="background:#fee8c8" {} "0" }
                            span { span.swatch.square style="background:#fdbb84" {} "1–9" }
                            span { span.swatch.square style="background:#ef6548" {} "10–49" }
                            span { span.swatch.square style="background:#990000" {} "50+" }
                        }
                        div.key {
                            span { span.swatch.square style="background:#9e9ac8" {} "displaced from" }
                            span { span.arrow {} "flow" }
                        }
                    }
                    noscript { p { "The map needs JavaScript. The data is at " a href=(format!("{base}/collections?f=html")) { "/collections" } "." } }
                }
                div id="toast" role="status" aria-live="polite" {}
                script type="application/json" id="atlas-config" { (PreEscaped(script_safe(config))) }
                script src=(format!("{base}{LEAFLET_BASE}/leaflet.js")) {}
                script src=(format!("{base}{MARKERCLUSTER_BASE}/leaflet.markercluster.js")) {}
                script src=(format!("{viewer}/map.js")) {}
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_cannot_close_its_script() {
        let json = serde_json::json!({"x": "</script><script>alert(1)</script><!--"}).to_string();
        let safe = script_safe(&json);
        assert!(!safe.contains('<'));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back["x"], "</script><script>alert(1)</script><!--");
    }

    #[test]
    fn tile_templates_are_checked() {
        assert!(TileLayer::new("https://t.example/{z}/{x}/{y}.png", None).is_ok());
        let missing = TileLayer::new("https://t.example/{z}/{x}.png", None).unwrap_err();
        assert!(missing.contains("{y}"), "{missing}");
        assert!(TileLayer::new("file:///{z}/{x}/{y}", None).is_err());
    }
}
