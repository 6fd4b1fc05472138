//! The representations the service produces, named as `f=` names them and typed as media
//! types, and the choice among them from an `Accept` header's text (RFC 9110 §12.5.1, with
//! q-values). No `Accept`, `*/*` or the JSON media types give JSON / GeoJSON, so GDAL, QGIS
//! and curl see no change; browsers, whose `Accept` names text/html first, get HTML.

use super::RequestError;

/// A representation the API can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Plain JSON, for resources that are not features (landing page, collections…).
    Json,
    GeoJson,
    Html,
    /// For incidents ACLED's columns; for other collections their properties and WKT.
    Csv,
    /// GeoJSON text sequences (RFC 8142), streamed.
    GeoJsonSeq,
    FlatGeobuf,
}

/// What the landing page, conformance, collections and one collection offer.
pub const METADATA: &[Format] = &[Format::Json, Format::Html];
/// What items offer; the first is the default.
pub const ITEMS: &[Format] = &[
    Format::GeoJson,
    Format::Html,
    Format::Csv,
    Format::GeoJsonSeq,
    Format::FlatGeobuf,
];
/// What one feature offers (a sequence of one feature is no use to anyone).
pub const ITEM: &[Format] = &[
    Format::GeoJson,
    Format::Html,
    Format::Csv,
    Format::FlatGeobuf,
];

impl Format {
    /// The `f` value naming the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::GeoJson => "geojson",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::GeoJsonSeq => "geojsonseq",
            Format::FlatGeobuf => "fgb",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::GeoJson => "application/geo+json",
            Format::Html => "text/html",
            Format::Csv => "text/csv",
            Format::GeoJsonSeq => "application/geo+json-seq",
            Format::FlatGeobuf => "application/flatgeobuf",
        }
    }

    /// The Content-Type header value (with the charset for text types).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8; header=present",
            other => other.media_type(),
        }
    }

    /// A human name for link titles.
    pub fn title(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::GeoJson => "GeoJSON",
            Format::Html => "HTML",
            Format::Csv => "CSV",
            Format::GeoJsonSeq => "GeoJSON text sequence",
            Format::FlatGeobuf => "FlatGeobuf",
        }
    }

    /// The file extension a download of this format takes.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::GeoJson => "geojson",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::GeoJsonSeq => "geojsonl",
            Format::FlatGeobuf => "fgb",
        }
    }

    /// Media types in an `Accept` header this format satisfies: GeoJSON is JSON too, which is
    /// what GDAL and older clients ask for.
    pub fn accepted_types(self) -> &'static [&'static str] {
        match self {
            Format::Json => &["application/json"],
            Format::GeoJson => &["application/geo+json", "application/json"],
            Format::Html => &["text/html"],
            Format::Csv => &["text/csv"],
            Format::GeoJsonSeq => &["application/geo+json-seq"],
            Format::FlatGeobuf => &["application/flatgeobuf"],
        }
    }

    /// Whether `f=value` names this format: its name, or a media type it satisfies.
    fn is_named(self, value: &str) -> bool {
        let v = value.trim().to_ascii_lowercase();
        v == self.name()
            || self.accepted_types().contains(&v.as_str())
            // `json` stays an alias of GeoJSON on items, as it always was.
            || (self == Format::GeoJson && v == "json")
            || (self == Format::FlatGeobuf && v == "flatgeobuf")
    }

    /// Formats that carry every matching feature unless `limit` says otherwise (see
    /// `export_limit`).
    pub fn is_export(self) -> bool {
        matches!(self, Format::Csv | Format::GeoJsonSeq | Format::FlatGeobuf)
    }
}

/// The format `f=value` names among `offered`, or a 400 naming `f` and listing the values.
pub fn from_f(value: &str, offered: &[Format]) -> Result<Format, RequestError> {
    offered
        .iter()
        .copied()
        .find(|f| f.is_named(value))
        .ok_or_else(|| {
            RequestError::bad(
                "f",
                format!(
                    "'{value}' is not supported here; use one of: {}",
                    offered
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

/// One media range of an Accept header.
struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f32,
}

impl Range<'_> {
    /// How specifically this range names `media` (3 exact, 2 type/*, 1 */*), if at all.
    fn specificity(&self, media: &str) -> Option<u8> {
        let (kind, subtype) = media.split_once('/')?;
        match (self.kind, self.subtype) {
            ("*", "*") => Some(1),
            (k, "*") if k.eq_ignore_ascii_case(kind) => Some(2),
            (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(subtype) => Some(3),
            _ => None,
        }
    }
}

fn parse_accept(accept: &str) -> Vec<Range<'_>> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let (kind, subtype) = parts.next()?.trim().split_once('/')?;
            let mut q = 1.0;
            for p in parts {
                if let Some((name, value)) = p.split_once('=') {
                    if name.trim().eq_ignore_ascii_case("q") {
                        // A malformed weight makes the range unusable, not the header.
                        q = value
                            .trim()
                            .parse::<f32>()
                            .ok()
                            .filter(|q| (0.0..=1.0).contains(q))?;
                    }
                }
            }
            Some(Range {
                kind: kind.trim(),
                subtype: subtype.trim(),
                q,
            })
        })
        .collect()
}

/// The best of `offered` for an Accept header: highest q, then the more specific match, then
/// the range the client listed first, then our order. No header (or an empty one) takes the
/// default. `None` when every offered format has q = 0 or matches nothing.
pub fn from_accept(accept: &str, offered: &[Format]) -> Option<Format> {
    let ranges = parse_accept(accept);
    if ranges.is_empty() {
        return offered.first().copied();
    }
    let mut best: Option<((f32, u8, usize), usize)> = None;
    for (order, format) in offered.iter().enumerate() {
        for media in format.accepted_types() {
            // The most specific range naming this media type decides its weight.
            let Some((specificity, position, q)) = ranges
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.specificity(media).map(|s| (s, i, r.q)))
                .max_by_key(|(s, i, _)| (*s, std::cmp::Reverse(*i)))
            else {
                continue;
            };
            if q <= 0.0 {
                continue;
            }
            let key = (q, specificity, position);
            let better = match best {
                None => true,
                Some(((bq, bs, bp), border)) => {
                    q > bq
                        || (q == bq && specificity > bs)
                        || (q == bq && specificity == bs && position < bp)
                        || (q == bq && specificity == bs && position == bp && order < border)
                }
            };
            if better {
                best = Some((key, order));
            }
        }
    }
    best.map(|(_, order)| offered[order])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_without_preferences_get_the_default() {
        for accept in [
            "",
            "*/*",
            "application/json",
            "application/geo+json",
            "*/*;q=0.1",
        ] {
            assert_eq!(
                from_accept(accept, ITEMS),
                Some(Format::GeoJson),
                "{accept}"
            );
        }
        assert_eq!(from_accept("*/*", METADATA), Some(Format::Json));
    }

    #[test]
    fn browsers_get_html() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                      image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        for accept in [firefox, chrome] {
            assert_eq!(from_accept(accept, ITEMS), Some(Format::Html));
            assert_eq!(from_accept(accept, METADATA), Some(Format::Html));
        }
    }

    #[test]
    fn q_values_order_and_specificity_decide() {
        assert_eq!(
            from_accept("text/html;q=0.5, text/csv", ITEMS),
            Some(Format::Csv)
        );
        assert_eq!(
            from_accept("text/csv, text/html", ITEMS),
            Some(Format::Csv),
            "equal q: the client's first"
        );
        assert_eq!(
            from_accept("*/*, application/flatgeobuf", ITEMS),
            Some(Format::FlatGeobuf),
            "a named type beats the wildcard"
        );
        assert_eq!(
            from_accept("text/*;q=0.9, text/html;q=0", ITEMS),
            Some(Format::Csv),
            "q=0 excludes"
        );
        assert_eq!(
            from_accept("application/geo+json-seq", ITEMS),
            Some(Format::GeoJsonSeq)
        );
    }

    #[test]
    fn nothing_acceptable_is_none() {
        assert_eq!(from_accept("image/png", ITEMS), None);
        assert_eq!(from_accept("application/geo+json;q=0", METADATA), None);
        assert_eq!(from_accept("text/csv", METADATA), None);
    }

    #[test]
    fn f_names_formats_by_name_or_media_type() {
        assert_eq!(from_f("csv", ITEMS).unwrap(), Format::Csv);
        assert_eq!(from_f("json", ITEMS).unwrap(), Format::GeoJson);
        assert_eq!(
            from_f("application/geo+json", ITEMS).unwrap(),
            Format::GeoJson
        );
        assert_eq!(from_f("json", METADATA).unwrap(), Format::Json);
        assert_eq!(from_f("HTML", METADATA).unwrap(), Format::Html);
        assert!(from_f("geojsonseq", ITEM).is_err());
        assert!(from_f("xml", ITEMS).is_err());
    }
}
