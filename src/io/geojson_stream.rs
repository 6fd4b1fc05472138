//! Reading a large GeoJSON file feature by feature, in bounded memory: a FeatureCollection
//! (its `features` array streamed element by element, whatever order its members come in),
//! a single Feature, or a GeoJSON text sequence (RFC 8142: each Feature after an RS byte).
//! A reader thread only finds where each feature's text begins and ends (`RawValue`); the
//! import's workers parse them, so parsing runs on every core.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::model::FieldError;

/// Consecutive features, the first numbered `first` in the file (errors name
/// `/features/{n}`).
pub struct Chunk {
    pub first: usize,
    pub features: Vec<Box<RawValue>>,
}

/// RFC 8142's record separator.
const RS: u8 = 0x1e;

/// The features of `input`, `size` at a time, read on a thread of their own; an error ends
/// the stream. Chunks queue two deep, so memory stays flat however large the file.
pub fn chunks<R: Read + Send + 'static>(
    input: R,
    size: usize,
) -> impl Iterator<Item = Result<Chunk, FieldError>> + Send {
    let (tx, rx) = sync_channel(2);
    std::thread::spawn(move || {
        let mut input = BufReader::with_capacity(1 << 20, input);
        let mut out = Sender {
            tx,
            size: size.max(1),
            chunk: Vec::new(),
            first: 0,
            count: 0,
        };
        let result = match input.fill_buf() {
            Ok(head) if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&RS) => {
                sequence(&mut input, &mut out)
            }
            Ok(_) => collection(&mut input, &mut out),
            Err(e) => Err(FieldError::new("", format!("cannot read: {e}"))),
        };
        match result {
            Ok(()) => out.flush(),
            // The reader may have gone (it stopped at an earlier error): nothing to tell.
            Err(e) => {
                let _ = out.tx.send(Err(e));
            }
        }
    });
    Receiving(rx)
}

struct Receiving(Receiver<Result<Chunk, FieldError>>);

impl Iterator for Receiving {
    type Item = Result<Chunk, FieldError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.0.recv().ok()
    }
}

/// Gathers features into chunks and hands them on.
struct Sender {
    tx: SyncSender<Result<Chunk, FieldError>>,
    size: usize,
    chunk: Vec<Box<RawValue>>,
    first: usize,
    count: usize,
}

impl Sender {
    /// Takes one feature; false when the reader has gone.
    fn push(&mut self, feature: Box<RawValue>) -> bool {
        self.chunk.push(feature);
        self.count += 1;
        if self.chunk.len() < self.size {
            return true;
        }
        self.flush_ok()
    }

    fn flush_ok(&mut self) -> bool {
        let features = std::mem::take(&mut self.chunk);
        let first = self.first;
        self.first = self.count;
        self.tx.send(Ok(Chunk { first, features })).is_ok()
    }

    fn flush(&mut self) {
        if !self.chunk.is_empty() {
            self.flush_ok();
        }
    }
}

/// A text sequence: records between RS bytes, each one Feature.
fn sequence(input: &mut impl BufRead, out: &mut Sender) -> Result<(), FieldError> {
    let mut record = Vec::new();
    loop {
        record.clear();
        let n = input
            .read_until(RS, &mut record)
            .map_err(|e| FieldError::new("", format!("cannot read: {e}")))?;
        if n == 0 {
            return Ok(());
        }
        if record.last() == Some(&RS) {
            record.pop();
        }
        let text = String::from_utf8(std::mem::take(&mut record))
            .map_err(|_| FieldError::new(format!("/features/{}", out.count), "not UTF-8"))?;
        if text.trim().is_empty() {
            continue;
        }
        let raw = RawValue::from_string(text.trim().to_owned()).map_err(|e| {
            FieldError::new(format!("/features/{}", out.count), format!("not JSON: {e}"))
        })?;
        if !out.push(raw) {
            return Ok(());
        }
    }
}

/// A FeatureCollection, or a single Feature.
fn collection(input: impl Read, out: &mut Sender) -> Result<(), FieldError> {
    let mut de = serde_json::Deserializer::from_reader(input);
    let found = TopLevel { out }
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|()| found))
        .map_err(|e| FieldError::new("", format!("not JSON: {e}")))?;
    match found {
        Found::Stopped | Found::Features => Ok(()),
        // A lone Feature: small, kept whole, and imported as one.
        Found::Other(members) if members.get("type") == Some(&Value::from("Feature")) => {
            let text = Value::Object(members).to_string();
            let raw = RawValue::from_string(text)
                .map_err(|e| FieldError::new("", format!("not JSON: {e}")))?;
            out.push(raw);
            Ok(())
        }
        Found::Other(members) if members.get("type") == Some(&Value::from("FeatureCollection")) => {
            Err(FieldError::new(
                "/features",
                "expected an array of Features",
            ))
        }
        Found::Other(_) => Err(FieldError::new(
            "/type",
            "expected a GeoJSON Feature or FeatureCollection",
        )),
    }
}

/// What the top-level object held.
enum Found {
    /// A `features` array, streamed.
    Features,
    /// The reader went away part-way.
    Stopped,
    /// No `features`: every member, to tell a lone Feature from an error.
    Other(Map<String, Value>),
}

struct TopLevel<'a> {
    out: &'a mut Sender,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Found;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Found, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Found;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection or Feature object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Found, A::Error> {
        let mut members = Map::new();
        let mut features = None;
        let mut kind: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "features" if features.is_none() => {
                    features = Some(map.next_value_seed(Features {
                        out: &mut *self.out,
                    })?);
                }
                "type" => {
                    let v: Value = map.next_value()?;
                    kind = v.as_str().map(str::to_owned);
                    members.insert(key, v);
                }
                // A lone Feature's members are kept (it is one small object); a collection's
                // other members (name, crs, bbox) are skipped unread once features began.
                _ if features.is_none() => {
                    members.insert(key, map.next_value()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(match features {
            Some(true) if kind.as_deref() != Some("Feature") => Found::Features,
            Some(false) => Found::Stopped,
            _ => Found::Other(members),
        })
    }
}

/// The `features` array: each element handed on as it is read. True when read to its end.
struct Features<'a> {
    out: &'a mut Sender,
}

impl<'de> DeserializeSeed<'de> for Features<'_> {
    type Value = bool;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of Features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while let Some(feature) = seq.next_element::<Box<RawValue>>()? {
            if !self.out.push(feature) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Nesting allowed in one imported feature (as in a request body).
pub const MAX_FEATURE_DEPTH: usize = 100;

/// The drafts of a chunk's features, parsed on the caller's thread; every problem of the
/// chunk, each naming its feature.
pub fn drafts(
    chunk: &Chunk,
) -> Result<Vec<(String, crate::model::IncidentDraft)>, Vec<FieldError>> {
    let mut drafts = Vec::with_capacity(chunk.features.len());
    let mut errors = Vec::new();
    for (k, raw) in chunk.features.iter().enumerate() {
        let at = format!("/features/{}", chunk.first + k);
        if crate::json_depth::check_text(raw.get().as_bytes(), MAX_FEATURE_DEPTH).is_err() {
            errors.push(FieldError::new(
                at,
                format!("nested deeper than {MAX_FEATURE_DEPTH} levels of JSON arrays and objects"),
            ));
            continue;
        }
        let parsed = serde_json::from_str::<Value>(raw.get())
            .map_err(|e| vec![FieldError::new(at.clone(), format!("not JSON: {e}"))])
            .and_then(|v| crate::model::IncidentDraft::from_feature_at(&v, &at));
        match parsed {
            Ok(d) => drafts.push((format!("feature {}", chunk.first + k), d)),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, size: usize) -> Result<Vec<(usize, Vec<String>)>, String> {
        chunks(std::io::Cursor::new(text.as_bytes().to_vec()), size)
            .map(|c| {
                c.map(|c| {
                    (
                        c.first,
                        c.features.iter().map(|f| f.get().to_owned()).collect(),
                    )
                })
                .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn a_collection_streams_in_chunks_whatever_its_member_order() {
        let fc = r#"{"features": [{"a":1}, {"a":2}, {"a":3}], "type": "FeatureCollection", "name": "x"}"#;
        let got = read(fc, 2).unwrap();
        assert_eq!(
            got,
            vec![
                (0, vec![r#"{"a":1}"#.to_owned(), r#"{"a":2}"#.to_owned()]),
                (2, vec![r#"{"a":3}"#.to_owned()])
            ]
        );
        let fc = r#"{"type":"FeatureCollection","features":[]}"#;
        assert_eq!(read(fc, 2).unwrap(), vec![]);
    }

    #[test]
    fn a_lone_feature_and_a_text_sequence_are_read_too() {
        let f = r#"{"type":"Feature","geometry":null,"properties":{"x":1}}"#;
        let got = read(f, 10).unwrap();
        assert_eq!(got.len(), 1);
        let v: Value = serde_json::from_str(&got[0].1[0]).unwrap();
        assert_eq!(v["properties"]["x"], 1);
        let seq = "\u{1e}{\"a\":1}\n\u{1e}{\"a\":2}\n\u{1e}{\"a\":3}\n";
        let got = read(seq, 2).unwrap();
        assert_eq!(got[0].0, 0);
        assert_eq!(got[1], (2, vec![r#"{"a":3}"#.to_owned()]));
    }

    #[test]
    fn broken_input_is_an_error_naming_where() {
        let err = read(r#"{"type":"FeatureCollection","features":[{"a":1},"#, 10).unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let err = read(r#"{"type":"Point","coordinates":[1,2]}"#, 10).unwrap_err();
        assert!(
            err.contains("expected a GeoJSON Feature or FeatureCollection"),
            "{err}"
        );
        let err = read(r#"{"type":"FeatureCollection","features":3}"#, 10).unwrap_err();
        assert!(err.contains("not JSON"), "{err}");
        let err = read("\u{1e}{\"a\":1}\n\u{1e}{\"a\"\n", 10).unwrap_err();
        assert!(
            err.contains("/features/1") && err.contains("not JSON"),
            "{err}"
        );
        // Nesting far beyond any Feature is found (without recursing) and refused, naming the
        // feature, before anything recursive parses it.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let fc = format!(r#"{{"type":"FeatureCollection","features":[{{"a":1}},{deep}]}}"#);
        let chunk = chunks(std::io::Cursor::new(fc.into_bytes()), 10)
            .next()
            .expect("a chunk")
            .expect("found, not parsed");
        let errors = drafts(&chunk).err().expect("refused");
        let deep_error = errors
            .iter()
            .find(|e| e.to_string().contains("/features/1"));
        assert!(
            deep_error.is_some_and(|e| e.to_string().contains("nested deeper than 100")),
            "{}",
            errors.len()
        );
    }
}
