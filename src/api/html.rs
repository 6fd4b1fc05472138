//! HTML views of every OGC resource for a person with a browser: title, links, tables of
//! properties, paging, and for features a small Leaflet map. maud escapes every value; the
//! map script is static and reads its data URL from an attribute, so no data is ever written
//! into a script. Without Leaflet (offline, blocked) the page reads the same, minus the map.
//!
//! Metadata pages render the very JSON document the JSON representation serves, so the two
//! carry the same information and links.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

use super::assets::LEAFLET_BASE;
use super::links::Link;
use crate::io::plain_feature::{cell_text, PlainFeature, Schema, ID};

/// Draws the GeoJSON at the map element's `data-geojson` URL; labels are text nodes, never
/// parsed as HTML. No base map: the page loads nothing from outside the server (Leaflet
/// itself is served from the binary, see `assets`), so it works offline.
const MAP_SCRIPT: &str = r#"(function () {
  var el = document.getElementById('map');
  if (!el || !window.L || !window.fetch) return;
  el.style.height = '360px';
  var map = L.map(el);
  fetch(el.getAttribute('data-geojson'), {headers: {Accept: 'application/geo+json'}})
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {onEachFeature: function (f, l) {
        var label = document.createElement('span');
        label.textContent = String(f.id);
        l.bindTooltip(label);
      }}).addTo(map);
      var bounds = layer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds, {maxZoom: 16, padding: [20, 20]});
      else map.setView([0, 0], 1);
    });
})();"#;

const STYLE: &str =
    "body{font-family:system-ui,sans-serif;margin:1rem 2rem;color:#222;line-height:1.4}\
nav.crumbs{font-size:.9rem;margin-bottom:.5rem}nav.crumbs a{margin-right:.3rem}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ccc;padding:.2rem .4rem;\
text-align:start;vertical-align:top}th{background:#f3f3f3}tr:nth-child(even) td{background:#fafafa}\
td{max-width:40rem;overflow-wrap:anywhere}.scroll{overflow-x:auto}\
.paging a{margin-right:1rem}#map{margin:.5rem 0;border:1px solid #ccc}\
code{font-size:.85rem}footer{margin-top:2rem;font-size:.85rem;color:#555}";

/// What frames every page.
struct Page<'a> {
    title: &'a str,
    /// The way back up: (label, URL) from the landing page down.
    crumbs: Vec<(String, String)>,
    /// The page's links (self, alternates, …), listed at the end and as `<link>`s.
    links: &'a [Value],
    /// The GeoJSON URL to draw, for pages of features.
    map: Option<String>,
    /// The server's base URL, for the map's scripts and styles.
    base: &'a str,
}

fn render(page: Page, body: Markup) -> String {
    let alternates: Vec<&Value> = page
        .links
        .iter()
        .filter(|l| l["rel"] == "alternate")
        .collect();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) " – Incident Atlas" }
                @for l in &alternates {
                    link rel="alternate" type=(text(&l["type"])) href=(text(&l["href"]));
                }
                style { (PreEscaped(STYLE)) }
                @if page.map.is_some() {
                    link rel="stylesheet" href=(format!("{}{LEAFLET_BASE}/leaflet.css", page.base));
                }
            }
            body {
                @if !page.crumbs.is_empty() {
                    nav.crumbs {
                        @for (label, href) in &page.crumbs {
                            a href=(href) { (label) } " › "
                        }
                    }
                }
                h1 { (page.title) }
                @if !alternates.is_empty() {
                    p {
                        "Also as: "
                        @for (n, l) in alternates.iter().enumerate() {
                            @if n > 0 { ", " }
                            a href=(text(&l["href"])) type=(text(&l["type"])) { (format_name(&l["type"])) }
                        }
                    }
                }
                @if let Some(url) = &page.map {
                    div id="map" data-geojson=(url) {}
                }
                (body)
                (links_section(page.links))
                footer { "Incident Atlas · OGC API – Features" }
                @if page.map.is_some() {
                    script src=(format!("{}{LEAFLET_BASE}/leaflet.js", page.base)) {}
                    script { (PreEscaped(MAP_SCRIPT)) }
                }
            }
        }
    };
    markup.into_string()
}

/// A JSON string member as text (empty when absent).
fn text(v: &Value) -> String {
    cell_text(Some(v)).into_owned()
}

/// A short name for a media type, for "Also as" lists.
fn format_name(media_type: &Value) -> &'static str {
    match media_type.as_str().unwrap_or("") {
        "application/json" => "JSON",
        "application/geo+json" => "GeoJSON",
        "text/html" => "HTML",
        "text/csv" => "CSV",
        "application/geo+json-seq" => "GeoJSON text sequence",
        "application/flatgeobuf" => "FlatGeobuf",
        _ => "other",
    }
}

fn links_section(links: &[Value]) -> Markup {
    html! {
        @if !links.is_empty() {
            h2 { "Links" }
            table {
                tr { th { "rel" } th { "type" } th { "title" } th { "href" } }
                @for l in links {
                    tr {
                        td { (text(&l["rel"])) }
                        td { (text(&l["type"])) }
                        td { (text(&l["title"])) }
                        td { a href=(text(&l["href"])) { (text(&l["href"])) } }
                    }
                }
            }
        }
    }
}

fn links_of(doc: &Value) -> &[Value] {
    doc["links"].as_array().map_or(&[], Vec::as_slice)
}

fn crumbs(base: &str, depth: &[(&str, String)]) -> Vec<(String, String)> {
    let mut out = vec![("Incident Atlas".to_owned(), format!("{base}/?f=html"))];
    out.extend(
        depth
            .iter()
            .map(|(label, href)| ((*label).to_owned(), href.clone())),
    );
    out
}

/// The landing page, from its JSON document.
pub fn landing(doc: &Value) -> String {
    let title = doc["title"].as_str().unwrap_or("Incident Atlas");
    let body = html! {
        p { (text(&doc["description"])) }
        ul {
            @for l in links_of(doc).iter().filter(|l| l["rel"] != "self" && l["rel"] != "alternate") {
                li {
                    a href=(html_href(l)) { (text(&l["title"])) }
                    " (" (text(&l["rel"])) ")"
                }
            }
        }
    };
    render(
        Page {
            title,
            crumbs: Vec::new(),
            links: links_of(doc),
            map: None,
            base: "",
        },
        body,
    )
}

/// A link's target as an HTML page when it is one of ours in JSON (conformance,
/// collections), so that following it stays in HTML; others (the API definition) as they are.
fn html_href(l: &Value) -> String {
    let href = text(&l["href"]);
    if l["type"] == "application/json" && !href.contains('?') {
        format!("{href}?f=html")
    } else {
        href
    }
}

pub fn conformance(doc: &Value, base: &str) -> String {
    let classes = doc["conformsTo"].as_array().map_or(&[][..], Vec::as_slice);
    let body = html! {
        p { "This service implements these conformance classes:" }
        ul {
            @for c in classes {
                li { a href=(text(c)) { (text(c)) } }
            }
        }
    };
    render(
        Page {
            title: "Conformance",
            crumbs: crumbs(base, &[]),
            links: links_of(doc),
            map: None,
            base,
        },
        body,
    )
}

pub fn collections(doc: &Value, base: &str) -> String {
    let list = doc["collections"].as_array().map_or(&[][..], Vec::as_slice);
    let body = html! {
        div.scroll {
            table {
                tr { th { "Collection" } th { "Description" } th { "Geometry" } th { "Extent" } th { "Items" } }
                @for c in list {
                    tr {
                        td { a href=(format!("{base}/collections/{}?f=html", path_segment(&text(&c["id"])))) { (text(&c["title"])) } br; code { (text(&c["id"])) } }
                        td dir="auto" { (text(&c["description"])) }
                        td { (geometry_types(c)) }
                        td { (extent(c)) }
                        td { (items_links(c)) }
                    }
                }
            }
        }
    };
    render(
        Page {
            title: "Collections",
            crumbs: crumbs(base, &[]),
            links: links_of(doc),
            map: None,
            base,
        },
        body,
    )
}

fn geometry_types(c: &Value) -> String {
    c["geometryTypes"]
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn extent(c: &Value) -> Markup {
    let bbox = &c["extent"]["spatial"]["bbox"][0];
    let interval = &c["extent"]["temporal"]["interval"][0];
    html! {
        @if let Some(b) = bbox.as_array() {
            "bbox " (b.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", "))
        }
        @if let Some(i) = interval.as_array() {
            br;
            (i.iter().map(|t| if t.is_null() { "..".to_owned() } else { text(t) }).collect::<Vec<_>>().join(" / "))
        }
    }
}

/// The collection's `items` links, one per format.
fn items_links(c: &Value) -> Markup {
    let links = c["links"].as_array().map_or(&[][..], Vec::as_slice);
    html! {
        @for (n, l) in links.iter().filter(|l| l["rel"] == "items").enumerate() {
            @if n > 0 { " · " }
            a href=(text(&l["href"])) type=(text(&l["type"])) { (format_name(&l["type"])) }
        }
    }
}

pub fn collection(doc: &Value, base: &str) -> String {
    let title = text(&doc["title"]);
    let body = html! {
        p dir="auto" { (text(&doc["description"])) }
        table {
            tr { th { "id" } td { code { (text(&doc["id"])) } } }
            tr { th { "Geometry" } td { (geometry_types(doc)) } }
            tr { th { "Extent" } td { (extent(doc)) } }
            tr { th { "CRS" } td { (doc["crs"].as_array().map(|a| a.iter().map(text).collect::<Vec<_>>().join(", ")).unwrap_or_default()) } }
            tr { th { "Items" } td { (items_links(doc)) } }
        }
    };
    render(
        Page {
            title: &title,
            crumbs: crumbs(
                base,
                &[("Collections", format!("{base}/collections?f=html"))],
            ),
            links: links_of(doc),
            map: None,
            base,
        },
        body,
    )
}

/// A page of features.
pub struct ItemsView<'a> {
    pub base: &'a str,
    pub collection_id: &'a str,
    pub collection_title: &'a str,
    pub features: &'a [PlainFeature],
    pub matched: usize,
    pub offset: usize,
    pub links: &'a [Link],
    /// Query (without `f`) an item page needs to find a feature again: the window and
    /// parameters of computed collections; empty otherwise.
    pub item_query: String,
    /// This page as GeoJSON, for the map.
    pub geojson_url: String,
}

pub fn items(v: &ItemsView) -> String {
    let schema = Schema::of(v.features);
    let columns: Vec<&str> = schema
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| *c != ID)
        .collect();
    let links = links_value(v.links);
    let collection_url = format!("{}/collections/{}", v.base, path_segment(v.collection_id));
    let paging = |rel: &str| {
        v.links
            .iter()
            .find(|l| l.rel == rel)
            .map(|l| l.href.clone())
    };
    let first = if v.features.is_empty() {
        0
    } else {
        v.offset + 1
    };
    let body = html! {
        p {
            (v.matched) " features match; "
            @if v.features.is_empty() { "none on this page." }
            @else { "this page shows " (first) "–" (v.offset + v.features.len()) "." }
        }
        p.paging {
            @if let Some(prev) = paging("prev") { a href=(prev) rel="prev" { "← Previous page" } }
            @if let Some(next) = paging("next") { a href=(next) rel="next" { "Next page →" } }
        }
        div.scroll {
            table {
                tr {
                    th { "id" }
                    @for c in &columns { th { (c) } }
                }
                @for f in v.features {
                    @let id = cell_text(f.value(ID));
                    tr {
                        td { a href=(item_href(&collection_url, &id, &v.item_query)) { (id) } }
                        @for c in &columns {
                            td dir="auto" { (cell_text(f.value(c))) }
                        }
                    }
                }
            }
        }
    };
    render(
        Page {
            title: v.collection_title,
            crumbs: crumbs(
                v.base,
                &[
                    ("Collections", format!("{}/collections?f=html", v.base)),
                    (v.collection_title, format!("{collection_url}?f=html")),
                ],
            ),
            links: &links,
            map: Some(v.geojson_url.clone()),
            base: v.base,
        },
        body,
    )
}

fn item_href(collection_url: &str, id: &str, query: &str) -> String {
    let sep = if query.is_empty() { "" } else { "&" };
    format!(
        "{collection_url}/items/{}?{query}{sep}f=html",
        path_segment(id)
    )
}

/// One feature.
pub struct ItemView<'a> {
    pub base: &'a str,
    pub collection_id: &'a str,
    pub collection_title: &'a str,
    pub feature: &'a PlainFeature,
    pub links: &'a [Link],
    pub geojson_url: String,
}

/// Geometries longer than this are left to the map and the GeoJSON.
const MAX_WKT_CHARS: usize = 600;

pub fn item(v: &ItemView) -> String {
    use geozero::ToWkt;
    let f = v.feature;
    let id = cell_text(f.value(ID)).into_owned();
    let title = format!("{} {id}", v.collection_title);
    let collection_url = format!("{}/collections/{}", v.base, path_segment(v.collection_id));
    let wkt = f.geometry.as_ref().and_then(|g| g.to_wkt().ok());
    let links = links_value(v.links);
    let body = html! {
        table {
            tr { th { "id" } td { (id) } }
            tr {
                th { "geometry" }
                td {
                    @match &wkt {
                        None => { "none" }
                        Some(w) if w.len() <= MAX_WKT_CHARS => { code { (w) } }
                        Some(w) => {
                            code { (w.split('(').next().unwrap_or("")) }
                            " (long: see the map or the GeoJSON)"
                        }
                    }
                }
            }
            @for (name, value) in &f.properties {
                @if name != ID {
                    tr { th { (name) } td dir="auto" { (cell_text(Some(value))) } }
                }
            }
        }
    };
    render(
        Page {
            title: &title,
            crumbs: crumbs(
                v.base,
                &[
                    ("Collections", format!("{}/collections?f=html", v.base)),
                    (v.collection_title, format!("{collection_url}?f=html")),
                    ("Items", format!("{collection_url}/items?f=html")),
                ],
            ),
            links: &links,
            map: Some(v.geojson_url.clone()),
            base: v.base,
        },
        body,
    )
}

fn links_value(links: &[Link]) -> Vec<Value> {
    links
        .iter()
        .map(|l| {
            serde_json::json!({
                "href": l.href, "rel": l.rel, "type": l.media_type, "title": l.title,
            })
        })
        .collect()
}

/// Percent-encodes all but RFC 3986's unreserved characters, for an id in a URL path.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_everywhere() {
        let f = PlainFeature::from_geojson(
            br#"{"type":"Feature","id":"x\"><script>alert(1)</script>","geometry":{"type":"Point","coordinates":[1,2]},
                "properties":{"notes":"<script>alert('n')</script> & more","<b>":"k"}}"#,
        )
        .unwrap();
        let links = [Link::new(
            "http://h/a?x=\"><script>",
            "alternate",
            "application/geo+json",
        )];
        let page = items(&ItemsView {
            base: "http://h",
            collection_id: "c",
            collection_title: "<i>C</i>",
            features: std::slice::from_ref(&f),
            matched: 1,
            offset: 0,
            links: &links,
            item_query: String::new(),
            geojson_url: "http://h/c?f=\"geojson".into(),
        });
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<i>C"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(
            page.contains("&lt;script&gt;alert('n')&lt;/script&gt; &amp; more"),
            "{page}"
        );
        let one = item(&ItemView {
            base: "http://h",
            collection_id: "c",
            collection_title: "C",
            feature: &f,
            links: &links,
            geojson_url: "u".into(),
        });
        assert!(!one.contains("<script>alert"), "{one}");
        assert!(one.contains("POINT(1 2)"), "{one}");
    }

    #[test]
    fn ids_are_encoded_in_paths() {
        assert_eq!(path_segment("al-zuhur~x"), "al-zuhur~x");
        assert_eq!(path_segment("a b/ج"), "a%20b%2F%D8%AC");
    }
}
