//! Static files the HTML pages and the map viewer load, compiled into the binary so that a
//! page needs nothing from the internet (field machines are often offline): Leaflet 1.9.4 and
//! Leaflet.markercluster 1.5.3 from their npm packages (licences kept beside them, see
//! assets/*/README.md), the Natural Earth base map (data/basemap/, made by
//! scripts/basemap/), and the viewer's own script and style (assets/viewer/).
//!
//! Every bundle has its version in its path — the viewer's is a hash of its files — so the
//! files are cached for a year (see `etag::cache_control`) and a new release never meets a
//! stale copy.

use std::sync::LazyLock;

use actix_web::HttpResponse;

use super::problem::ApiError;

/// One file: its name inside the bundle, media type and bytes.
type File = (&'static str, &'static str, &'static [u8]);

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
const PNG: &str = "image/png";
const GEOJSON: &str = "application/geo+json";

/// Where the bundles are served; pages link here.
pub const LEAFLET_BASE: &str = "/assets/leaflet-1.9.4";
pub const MARKERCLUSTER_BASE: &str = "/assets/markercluster-1.5.3";
/// Natural Earth through world-atlas 2.0.2 (see scripts/basemap/package.json).
pub const BASEMAP_BASE: &str = "/assets/natural-earth-2.0.2";

const LEAFLET: &[File] = &[
    (
        "leaflet.js",
        JS,
        include_bytes!("assets/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        CSS,
        include_bytes!("assets/leaflet/leaflet.css"),
    ),
    ("LICENSE", TEXT, include_bytes!("assets/leaflet/LICENSE")),
    (
        "images/layers.png",
        PNG,
        include_bytes!("assets/leaflet/images/layers.png"),
    ),
    (
        "images/layers-2x.png",
        PNG,
        include_bytes!("assets/leaflet/images/layers-2x.png"),
    ),
    (
        "images/marker-icon.png",
        PNG,
        include_bytes!("assets/leaflet/images/marker-icon.png"),
    ),
    (
        "images/marker-icon-2x.png",
        PNG,
        include_bytes!("assets/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "images/marker-shadow.png",
        PNG,
        include_bytes!("assets/leaflet/images/marker-shadow.png"),
    ),
];

const MARKERCLUSTER: &[File] = &[
    (
        "leaflet.markercluster.js",
        JS,
        include_bytes!("assets/markercluster/leaflet.markercluster.js"),
    ),
    (
        "MarkerCluster.css",
        CSS,
        include_bytes!("assets/markercluster/MarkerCluster.css"),
    ),
    (
        "MarkerCluster.Default.css",
        CSS,
        include_bytes!("assets/markercluster/MarkerCluster.Default.css"),
    ),
    (
        "LICENSE",
        TEXT,
        include_bytes!("assets/markercluster/LICENSE"),
    ),
];

const BASEMAP: &[File] = &[
    (
        "land-50m.geojson",
        GEOJSON,
        include_bytes!("../../data/basemap/land-50m.geojson"),
    ),
    (
        "borders-10m.geojson",
        GEOJSON,
        include_bytes!("../../data/basemap/borders-10m.geojson"),
    ),
];

const VIEWER: &[File] = &[
    ("map.js", JS, include_bytes!("assets/viewer/map.js")),
    ("map.css", CSS, include_bytes!("assets/viewer/map.css")),
];

/// `/assets/viewer-<hash of its files>`: changes whenever the viewer does.
pub static VIEWER_BASE: LazyLock<String> = LazyLock::new(|| {
    let mut hash = 0;
    for (name, _, bytes) in VIEWER {
        hash = xxhash_rust::xxh3::xxh3_64_with_seed(bytes, hash ^ name.len() as u64);
    }
    format!("/assets/viewer-{:012x}", hash >> 16)
});

/// Every bundle's base path: `asset` serves `<base>/{file}` and `<base>/{dir}/{file}` (no
/// regex in the patterns, which the metrics label requests by).
pub fn bases() -> [&'static str; 4] {
    [
        LEAFLET_BASE,
        MARKERCLUSTER_BASE,
        BASEMAP_BASE,
        VIEWER_BASE.as_str(),
    ]
}

/// The bundle served at `base`.
fn bundle(base: &str) -> Option<&'static [File]> {
    match base {
        LEAFLET_BASE => Some(LEAFLET),
        MARKERCLUSTER_BASE => Some(MARKERCLUSTER),
        BASEMAP_BASE => Some(BASEMAP),
        b if b == VIEWER_BASE.as_str() => Some(VIEWER),
        _ => None,
    }
}

/// The file at `path`, found in the bundle whose base it starts with.
fn find(path: &str) -> Option<&'static File> {
    bases().into_iter().find_map(|base| {
        let name = path.strip_prefix(base)?.strip_prefix('/')?;
        bundle(base)?.iter().find(|(n, _, _)| *n == name)
    })
}

/// GET <bundle base>/{file}.
pub async fn asset(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    crate::service::QueryParams::parse(req.query_string(), &[], "an asset")?;
    let (_, media, bytes) =
        find(req.path()).ok_or_else(|| ApiError::NotFound(format!("no asset {}", req.path())))?;
    // Cache-Control comes from the ETag middleware's policy for /assets/.
    Ok(HttpResponse::Ok().content_type(*media).body(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundle_is_found_at_its_base() {
        for base in bases() {
            assert!(base.starts_with("/assets/"), "{base}");
            assert!(bundle(base).is_some_and(|f| !f.is_empty()), "{base}");
        }
        assert!(bundle("/assets/leaflet-1.9.3").is_none());
        assert!(bundle("/assets/viewer-000000000000").is_none());
        assert!(find("/assets/leaflet-1.9.4/images/layers.png").is_some());
        assert!(find(&format!("{}/map.js", *VIEWER_BASE)).is_some());
        assert!(find("/assets/leaflet-1.9.4/../leaflet-1.9.4/leaflet.js").is_none());
        assert!(find("/assets/leaflet-1.9.4leaflet.js").is_none());
    }
}
