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

/// The only absolute URLs in the files we serve that are not this server's, each never
/// fetched: Leaflet's XML namespace for SVG, its home page in its licence comment and its
/// default attribution prefix (the viewer sets its own), and two bug-tracker links in
/// comments of its stylesheet.
const NEVER_FETCHED: &[&str] = &[
    "http://www.w3.org/2000/svg",
    "https://leafletjs.com",
    "https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
    "https://bugzilla.mozilla.org/show_bug.cgi?id=888319",
];

/// Every http(s) URL written in `text`, up to the first character that cannot be in one.
fn absolute_urls(text: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for scheme in ["http://", "https://"] {
        for (at, _) in text.match_indices(scheme) {
            let url: String = text[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"\"'<>()`\\".contains(*c))
                .collect();
            urls.push(url);
        }
    }
    urls
}

#[test]
fn the_map_viewer_and_everything_it_loads_name_no_outside_url() {
    let s = Server::start();
    let res = s.get("/map");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let page = res.text().unwrap();
    let mut loaded = loaded_urls(&page);
    loaded.sort();
    let viewer: Vec<&String> = loaded
        .iter()
        .filter(|u| u.contains("/assets/viewer-"))
        .collect();
    assert_eq!(viewer.len(), 2, "{loaded:?}");
    let expected_others = [
        "/assets/leaflet-1.9.4/leaflet.css",
        "/assets/leaflet-1.9.4/leaflet.js",
        "/assets/markercluster-1.5.3/MarkerCluster.css",
        "/assets/markercluster-1.5.3/leaflet.markercluster.js",
    ];
    for wanted in expected_others {
        assert!(
            loaded.contains(&s.url(wanted)),
            "{wanted} not in {loaded:?}"
        );
    }
    assert_eq!(loaded.len(), 6, "{loaded:?}");

    // What the script starts from: a JSON island, naming only this server.
    let config: serde_json::Value = serde_json::from_str(
        page.split("id=\"atlas-config\">")
            .nth(1)
            .and_then(|rest| rest.split("</script>").next())
            .expect("config island"),
    )
    .expect("config is JSON");
    assert_eq!(config["base"], s.base.as_str());
    assert_eq!(
        config["dates"],
        serde_json::json!(["2022-01-20", "2022-01-21"])
    );
    assert_eq!(
        config["bbox"],
        serde_json::json!([40.74772, 36.4757, 40.7781, 36.50237])
    );
    assert_eq!(config["event_types"].as_array().map(Vec::len), Some(6));
    assert_eq!(config["tiles"], serde_json::Value::Null);

    // Grep the page, every script and stylesheet it loads, and the metadata pages: any
    // absolute URL is this server's or one of the few never fetched.
    let mut texts = vec![("/map".to_owned(), page.clone())];
    for url in &loaded {
        let res = s.client().get(url).send().unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert!(
            res.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable"),
            "{url}"
        );
        texts.push((url.clone(), res.text().unwrap()));
    }
    for page in [
        "/?f=html",
        "/conformance?f=html",
        "/collections?f=html",
        "/collections/incidents?f=html",
    ] {
        texts.push((page.to_owned(), s.get(page).text().unwrap()));
    }
    for (name, text) in &texts {
        for url in absolute_urls(text) {
            // The metadata pages show OGC's identifiers (conformance classes, link relations,
            // CRS and TRS URIs): names from the standards, never fetched.
            let ogc_name = url.starts_with("http://www.opengis.net/") && !name.contains("/assets/");
            assert!(
                url.starts_with(&s.base) || NEVER_FETCHED.contains(&url.as_str()) || ogc_name,
                "{name} names {url}"
            );
        }
    }
    // The viewer's own files name no URL at all: everything comes from the config.
    for (name, text) in texts.iter().filter(|(n, _)| n.contains("/assets/viewer-")) {
        assert_eq!(absolute_urls(text), Vec::<String>::new(), "{name}");
    }

    // The base map: Natural Earth land (polygons wound by the right-hand rule) and borders.
    let land = s
        .client()
        .get(config["basemap"]["land"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(land.headers()["content-type"], "application/geo+json");
    let land: serde_json::Value = land.json().unwrap();
    let polygons = land["features"][0]["geometry"]["coordinates"]
        .as_array()
        .expect("polygons");
    assert!(polygons.len() > 1000, "{}", polygons.len());
    let signed_area = |ring: &serde_json::Value| {
        let pts: Vec<(f64, f64)> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        pts.windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum::<f64>()
            / 2.0
    };
    for polygon in polygons {
        let rings = polygon.as_array().unwrap();
        assert!(
            signed_area(&rings[0]) > 0.0,
            "an exterior ring is clockwise"
        );
        for hole in &rings[1..] {
            assert!(signed_area(hole) < 0.0, "a hole is counter-clockwise");
        }
    }
    let borders: serde_json::Value = s
        .client()
        .get(config["basemap"]["borders"].as_str().unwrap())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(borders["type"], "MultiLineString");
    // Syria's borders with Turkey and Iraq pass near al-Hasakah (36.5 N, 40.7 E).
    let near_hasakah = borders["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l.as_array().unwrap())
        .any(|p| {
            (p[0].as_f64().unwrap() - 41.0).abs() < 1.5
                && (p[1].as_f64().unwrap() - 36.8).abs() < 1.0
        });
    assert!(near_hasakah);
    let licence = s.get("/assets/markercluster-1.5.3/LICENSE").text().unwrap();
    assert!(licence.contains("David Leaver"), "{licence}");
}

#[test]
fn a_browser_at_the_front_door_is_sent_to_the_map() {
    let s = Server::start();
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let res = no_redirects
        .get(s.url("/"))
        .header("Accept", browser)
        .send()
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], s.url("/map").as_str());
    assert!(res.headers()["vary"].to_str().unwrap().contains("Accept"));
    // f=html keeps the OGC landing page, which links to the map; clients still get JSON.
    let html = s.get("/?f=html").text().unwrap();
    assert!(
        html.contains(&format!("href=\"{}\"", s.url("/map"))),
        "{html}"
    );
    let (status, landing) = s.get_json("/");
    assert_eq!(status, 200);
    let map_link = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["href"] == s.url("/map").as_str())
        .expect("a link to the map");
    assert_eq!(map_link["type"], "text/html");
    // The map page takes no parameters: a misspelt one is named.
    let (status, body) = s.get_json("/map?bbox=1,2,3,4");
    assert_problem(status, &body, 400, "bbox");
}

#[test]
fn an_online_basemap_is_offered_only_when_configured() {
    let tmp = tempfile::tempdir().unwrap();
    let template = "https://tile.example.org/{z}/{x}/{y}.png";
    let s = Server::start_on(
        &tmp.path().join("a.sqlite"),
        &[
            "--basemap",
            template,
            "--basemap-attribution",
            "© Example tiles",
        ],
        None,
    );
    let page = s.get("/map").text().unwrap();
    assert!(page.contains(r#""tiles":{"url":"https://tile.example.org/{z}/{x}/{y}.png","attribution":"© Example tiles"}"#), "{page}");
    // A template without its placeholders is refused at start, naming the flag.
    let out = output_within(
        std::process::Command::new(BIN).args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--db",
            tmp.path().join("b.sqlite").to_str().unwrap(),
            "--basemap",
            "https://tile.example.org/{z}/{x}.png",
        ]),
        std::time::Duration::from_secs(60),
    )
    .expect("the server exits");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--basemap") && err.contains("{y}"), "{err}");
}
