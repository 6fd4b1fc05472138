//! The HTML pages load nothing from outside the server: Leaflet is served from the binary,
//! and no base map is fetched from a tile server (field machines are often offline).
mod common;
use common::*;

/// Every `src`/`href` of the tags that make a browser load something: scripts, stylesheets,
/// images, frames.
fn loaded_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for tag in html.split('<').skip(1) {
        let name = tag.split([' ', '>', '/']).next().unwrap_or_default();
        let loads = match name {
            "script" | "img" | "iframe" => "src=\"",
            "link" if tag.contains("rel=\"stylesheet\"") || tag.contains("rel=\"icon\"") => {
                "href=\""
            }
            _ => continue,
        };
        if let Some(rest) = tag.split(loads).nth(1) {
            urls.push(
                rest.split('"')
                    .next()
                    .unwrap_or_default()
                    .replace("&amp;", "&"),
            );
        }
    }
    urls
}

#[test]
fn html_pages_load_only_from_the_server() {
    let s = Server::start();
    let pages = [
        "/?f=html".to_owned(),
        "/collections?f=html".to_owned(),
        "/collections/incidents?f=html".to_owned(),
        "/collections/incidents/items?f=html".to_owned(),
        "/collections/incidents/items/5?f=html".to_owned(),
        "/collections/places/items?f=html".to_owned(),
        "/collections/clash-zones/items?f=html".to_owned(),
    ];
    let mut assets = Vec::new();
    for page in &pages {
        let res = s.get(page);
        assert_eq!(res.status(), 200, "{page}");
        let html = res.text().expect("html");
        for host in ["unpkg", "openstreetmap", "cdn", "googleapis"] {
            assert!(!html.contains(host), "{page} names {host}");
        }
        for url in loaded_urls(&html) {
            assert!(url.starts_with(&s.base), "{page} loads {url}");
            assets.push(url);
        }
    }
    // The feature pages draw a map with the served Leaflet.
    assets.sort();
    assets.dedup();
    let js = format!("{}/assets/leaflet-1.9.4/leaflet.js", s.base);
    let css = format!("{}/assets/leaflet-1.9.4/leaflet.css", s.base);
    assert_eq!(assets, vec![css.clone(), js.clone()]);

    let res = s.client().get(&js).send().unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(res.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    let script = res.text().unwrap();
    // Leaflet 1.9.4's own bytes (the npm package's dist/leaflet.js).
    assert!(
        script.starts_with("/* @preserve\n * Leaflet 1.9.4"),
        "{}",
        &script[..60]
    );
    assert_eq!(script.len(), 147_552);

    // The stylesheet's images are served beside it, and it loads nothing from elsewhere.
    let style = s.client().get(&css).send().unwrap().text().unwrap();
    let images: Vec<&str> = style
        .split("url(")
        .skip(1)
        .filter_map(|rest| rest.split(')').next())
        .filter(|u| !u.starts_with('#'))
        .collect();
    assert_eq!(images.len(), 3, "{images:?}");
    for image in images {
        assert!(!image.contains("//"), "{image}");
        let res = s
            .client()
            .get(format!("{}/assets/leaflet-1.9.4/{image}", s.base))
            .send()
            .unwrap();
        assert_eq!(res.status(), 200, "{image}");
        assert_eq!(res.headers()["content-type"], "image/png");
        assert_eq!(&res.bytes().unwrap()[..4], b"\x89PNG");
    }
    // Its licence travels with it; unknown assets are a 404 problem.
    let licence = s.get("/assets/leaflet-1.9.4/LICENSE").text().unwrap();
    assert!(licence.contains("Volodymyr Agafonkin"), "{licence}");
    let (status, body) = s.get_json("/assets/leaflet-1.9.4/leaflet.js.map");
    assert_problem(status, &body, 404, "");
}
