//! Reading a large GeoJSON file feature by feature, in bounded memory: a FeatureCollection
//! (its `features` array streamed element by element, whatever order its members come in),
//! a single Feature, or a GeoJSON text sequence (RFC 8142: each Feature after an RS byte).
//! A reader thread only finds where each feature's text begins and ends; the import's
//! workers parse them, so parsing runs on every core.

use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use serde_json::Value;

use crate::model::FieldError;

/// Consecutive features, the first numbered `first` in the file (errors name
/// `/features/{n}`).
pub struct Chunk {
    pub first: usize,
    pub features: Vec<String>,
    /// Whether the scanner already held each feature to `MAX_FEATURE_DEPTH` (a collection's
    /// elements are; a text sequence's records are checked when parsed).
    pub depth_checked: bool,
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
            depth_checked: false,
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
    chunk: Vec<String>,
    first: usize,
    count: usize,
    depth_checked: bool,
}

impl Sender {
    /// Takes one feature; false when the reader has gone.
    fn push(&mut self, feature: String) -> bool {
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
        let depth_checked = self.depth_checked;
        self.tx
            .send(Ok(Chunk {
                first,
                features,
                depth_checked,
            }))
            .is_ok()
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
        if !out.push(text.trim().to_owned()) {
            return Ok(());
        }
    }
}

/// A lone Feature is kept whole (it has no array to stream); beyond this it is refused.
const MAX_LONE_FEATURE: usize = 64 << 20;

/// A FeatureCollection, or a single Feature: a byte scanner (strings and nesting only, no
/// parsing) finds each element of the top-level `features` array and hands its text on.
/// Serde's reader, byte by byte through `io::Bytes`, took most of an import's time here.
fn collection(mut input: impl Read, out: &mut Sender) -> Result<(), FieldError> {
    let mut scan = Scan::default();
    let mut block = vec![0u8; 1 << 20];
    out.depth_checked = true;
    loop {
        let n = match input.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FieldError::new("", format!("cannot read: {e}"))),
        };
        let mut rest = &block[..n];
        while !rest.is_empty() {
            // Inside a feature, runs of bytes that change nothing are copied whole.
            rest = &rest[scan.copy_inert(rest)..];
            let Some((&b, after)) = rest.split_first() else {
                break;
            };
            rest = after;
            let step = scan.byte(b)?;
            if scan.member == Member::Features && scan.depth > MAX_FEATURE_DEPTH + 2 {
                // Refused as soon as it is found: nothing is kept or parsed of it.
                return Err(too_deep(out.count));
            }
            match step {
                Step::Go => {}
                Step::Element(text) => {
                    let at = out.count;
                    let text = String::from_utf8(text)
                        .map_err(|_| FieldError::new(format!("/features/{at}"), "not UTF-8"))?;
                    if !out.push(text) {
                        return Ok(());
                    }
                }
            }
        }
    }
    scan.end(out)
}

/// Where the scanner is in the top-level object.
#[derive(Default, PartialEq)]
enum Member {
    /// Before the top-level object's `{`.
    #[default]
    Start,
    /// Reading a member's name (a string at depth 1).
    Name,
    /// Between a name and its value.
    Colon,
    /// In a member's value.
    Value,
    /// In the `features` array.
    Features,
    /// After the top-level object's `}`.
    Done,
}

#[derive(Default)]
struct Scan {
    depth: usize,
    in_string: bool,
    escaped: bool,
    member: Member,
    /// The name of the member being read or valued.
    name: Vec<u8>,
    /// Whether `features` was found (and streamed).
    streamed: bool,
    /// The element of `features` being read.
    element: Vec<u8>,
    /// The whole text while no `features` has been seen: a lone Feature, kept to import.
    whole: Option<Vec<u8>>,
    offset: usize,
}

enum Step {
    Go,
    Element(Vec<u8>),
}

impl Scan {
    fn fail(&self, why: &str) -> FieldError {
        FieldError::new("", format!("not JSON: {why} at byte {}", self.offset))
    }

    /// Inside an element of `features` (its object or array, or a string), copies the
    /// leading bytes of `bytes` that cannot end a string or change the nesting, and returns
    /// how many: `byte` would only have appended them one by one. Most of a file is these.
    #[inline]
    fn copy_inert(&mut self, bytes: &[u8]) -> usize {
        if self.member != Member::Features || self.depth < 3 || self.escaped {
            return 0;
        }
        let n = if self.in_string {
            memchr::memchr2(b'"', b'\\', bytes).unwrap_or(bytes.len())
        } else {
            bytes
                .iter()
                .position(|b| matches!(b, b'"' | b'{' | b'}' | b'[' | b']'))
                .unwrap_or(bytes.len())
        };
        self.element.extend_from_slice(&bytes[..n]);
        self.offset += n;
        n
    }

    fn byte(&mut self, b: u8) -> Result<Step, FieldError> {
        self.offset += 1;
        if let Some(whole) = &mut self.whole {
            if whole.len() >= MAX_LONE_FEATURE {
                return Err(FieldError::new(
                    "",
                    "expected a FeatureCollection: no features array in the first 64 MB",
                ));
            }
            whole.push(b);
        }
        let in_features = self.member == Member::Features && self.depth >= 2;
        if in_features
            && (self.depth > 2
                || !(b == b',' || b == b']' || b.is_ascii_whitespace())
                || self.in_string)
        {
            self.element.push(b);
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.member == Member::Name && self.depth == 1 {
                    self.member = Member::Colon;
                }
            } else if self.member == Member::Name && self.depth == 1 {
                self.name.push(b);
            }
            return Ok(Step::Go);
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.member == Member::Name {
                    self.name.clear();
                }
            }
            b'{' | b'[' => {
                if self.member == Member::Start {
                    if b != b'{' {
                        return Err(FieldError::new(
                            "/type",
                            "expected a GeoJSON Feature or FeatureCollection",
                        ));
                    }
                    self.member = Member::Name;
                    self.whole = Some(vec![b]);
                } else if self.depth == 1 && self.member == Member::Value {
                    if b == b'[' && self.name == b"features" && !self.streamed {
                        self.member = Member::Features;
                        self.streamed = true;
                        // A collection is streamed, never kept whole.
                        self.whole = None;
                    }
                } else if self.member == Member::Done {
                    return Err(self.fail("more after the end"));
                }
                self.depth += 1;
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    return Err(self.fail("an unmatched bracket"));
                }
                self.depth -= 1;
                if self.member == Member::Features && self.depth == 2 {
                    // An object or array element ended.
                    return Ok(Step::Element(std::mem::take(&mut self.element)));
                }
                if self.member == Member::Features && self.depth == 1 {
                    // The features array ended; a scalar element may end with it.
                    let last = std::mem::take(&mut self.element);
                    self.member = Member::Value;
                    if !last.iter().all(u8::is_ascii_whitespace) {
                        return Ok(Step::Element(last));
                    }
                } else if self.depth == 0 {
                    self.member = Member::Done;
                }
            }
            b':' if self.depth == 1 && self.member == Member::Colon => self.member = Member::Value,
            b',' if self.depth == 1 => self.member = Member::Name,
            b',' if self.depth == 2 && self.member == Member::Features => {
                // A scalar element (not a Feature: its parse will say so) ends here.
                let text = std::mem::take(&mut self.element);
                if !text.is_empty() {
                    return Ok(Step::Element(text));
                }
            }
            _ if b.is_ascii_whitespace() => {}
            _ if self.member == Member::Start || self.member == Member::Done => {
                return Err(self.fail("not an object"));
            }
            _ => {}
        }
        Ok(Step::Go)
    }

    /// At the end of the input: a complete object, streamed or a lone Feature.
    fn end(self, out: &mut Sender) -> Result<(), FieldError> {
        if self.member != Member::Done || self.in_string {
            return Err(self.fail("the text ends early"));
        }
        if self.streamed {
            return Ok(());
        }
        let text = String::from_utf8(self.whole.unwrap_or_default())
            .map_err(|_| FieldError::new("", "not UTF-8"))?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| FieldError::new("", format!("not JSON: {e}")))?;
        match value.get("type").and_then(Value::as_str) {
            Some("Feature") => {
                // Not an element of `features`: the scanner never held it to the limit.
                out.depth_checked = false;
                out.push(text);
                Ok(())
            }
            Some("FeatureCollection") => Err(FieldError::new(
                "/features",
                "expected an array of Features",
            )),
            _ => Err(FieldError::new(
                "/type",
                "expected a GeoJSON Feature or FeatureCollection",
            )),
        }
    }
}

/// Nesting allowed in one imported feature (as in a request body).
pub const MAX_FEATURE_DEPTH: usize = 100;

fn too_deep(feature: usize) -> FieldError {
    FieldError::new(
        format!("/features/{feature}"),
        format!("nested deeper than {MAX_FEATURE_DEPTH} levels of JSON arrays and objects"),
    )
}

/// The drafts of a chunk's features, parsed on the caller's thread; every problem of the
/// chunk, each naming its feature.
pub fn drafts(
    chunk: &Chunk,
) -> Result<Vec<(String, crate::model::IncidentDraft)>, Vec<FieldError>> {
    let mut drafts = Vec::with_capacity(chunk.features.len());
    let mut errors = Vec::new();
    for (k, raw) in chunk.features.iter().enumerate() {
        let at = format!("/features/{}", chunk.first + k);
        // Depth first: nothing recursive may walk an absurdly nested feature.
        if !chunk.depth_checked
            && crate::json_depth::check_text(raw.as_bytes(), MAX_FEATURE_DEPTH).is_err()
        {
            errors.push(too_deep(chunk.first + k));
            continue;
        }
        let parsed = serde_json::from_str::<Value>(raw)
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
                c.map(|c| (c.first, c.features.clone()))
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
        assert!(err.contains("expected an array of Features"), "{err}");
        // Brackets inside strings do not count; a record that is not JSON is named when parsed.
        let got = read(
            r#"{"features":[{"a":"]}[,"},{"b":"\"}"}],"type":"FeatureCollection"}"#,
            10,
        )
        .unwrap();
        assert_eq!(got[0].1, vec![r#"{"a":"]}[,"}"#, r#"{"b":"\"}"}"#]);
        let chunk = chunks(
            std::io::Cursor::new(b"\x1e{\"a\":1}\n\x1e{\"a\"\n".to_vec()),
            10,
        )
        .next()
        .expect("a chunk")
        .expect("found");
        let errors = drafts(&chunk).expect_err("refused");
        assert!(
            errors.iter().any(
                |e| e.to_string().contains("/features/1") && e.to_string().contains("not JSON")
            ),
            "{errors:?}"
        );
        for bad in [
            r#"{"type":"FeatureCollection","features":[{"a":1}"#,
            r#"["#,
            r#"{"a":1}}"#,
        ] {
            assert!(read(bad, 10).is_err(), "{bad}");
        }
        // Nesting far beyond any Feature is found (without recursing) and refused, naming the
        // feature, before anything recursive parses it.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let fc = format!(r#"{{"type":"FeatureCollection","features":[{{"a":1}},{deep}]}}"#);
        let err = read(&fc, 10).expect_err("refused while scanning");
        assert!(
            err.contains("/features/1") && err.contains("nested deeper than 100"),
            "{err}"
        );
        // Exactly the limit is allowed; a text sequence's records are checked when parsed.
        let at_limit = format!("{}{}", "[".repeat(99), "]".repeat(99));
        let fc = format!(r#"{{"features":[{{"a":{at_limit}}}],"type":"FeatureCollection"}}"#);
        assert_eq!(read(&fc, 10).expect("scanned")[0].1.len(), 1);
        let over = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let fc = format!(r#"{{"features":[{{"a":{over}}}],"type":"FeatureCollection"}}"#);
        assert!(read(&fc, 10)
            .expect_err("one level too deep")
            .contains("/features/0"));
        let seq = format!("\u{1e}{{\"a\":1}}\n\u{1e}{deep}\n");
        let chunk = chunks(std::io::Cursor::new(seq.into_bytes()), 10)
            .next()
            .expect("a chunk")
            .expect("found, not parsed");
        let errors = drafts(&chunk).expect_err("refused");
        assert!(
            errors.iter().any(|e| e.to_string().contains("/features/1")
                && e.to_string().contains("nested deeper than 100")),
            "{errors:?}"
        );
    }
}

#[cfg(test)]
mod scanner_tests {
    use super::*;
    use rand::{RngCore, SeedableRng};

    /// A reader handing out at most `sizes[k]` bytes per call, cycling.
    struct Dribble {
        data: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        k: usize,
    }
    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let want = self.sizes[self.k % self.sizes.len()].min(buf.len());
            self.k += 1;
            let n = want.min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// The elements as `collection` hands them on, read in pieces of `sizes`.
    fn scanned(doc: &[u8], sizes: Vec<usize>) -> Result<Vec<String>, String> {
        let (tx, rx) = sync_channel(1 << 16);
        let mut out = Sender {
            tx,
            size: 1,
            chunk: Vec::new(),
            first: 0,
            count: 0,
            depth_checked: false,
        };
        let input = Dribble {
            data: doc.to_vec(),
            at: 0,
            sizes,
            k: 0,
        };
        let r = collection(input, &mut out);
        out.flush();
        drop(out);
        r.map_err(|e| e.to_string())?;
        Ok(rx.into_iter().flat_map(|c| c.unwrap().features).collect())
    }

    /// The same, byte by byte through `Scan::byte` only (no `copy_inert`, no depth check).
    fn reference(doc: &[u8]) -> Result<Vec<String>, String> {
        let mut scan = Scan::default();
        let mut got = Vec::new();
        for &b in doc {
            if let Step::Element(t) = scan.byte(b).map_err(|e| e.to_string())? {
                got.push(String::from_utf8(t).unwrap());
            }
        }
        Ok(got)
    }

    // The generator's seeded stream (generate.rs), for reproducible random cases.
    type Rng = rand_chacha::ChaCha8Rng;

    fn value(r: &mut Rng, depth: usize) -> Value {
        match r.next_u64() % if depth > 6 { 3 } else { 5 } {
            0 => Value::from(r.next_u64() as i64 % 1000),
            1 | 2 => {
                let pieces = [
                    "\\", "\"", "[", "]", "{", "}", ",", ":", "\\\\", "\\\"", "é", "\u{1}", "a",
                    " ", "\u{2028}",
                ];
                let n = r.next_u64() % 8;
                Value::from(
                    (0..n)
                        .map(|_| pieces[(r.next_u64() % pieces.len() as u64) as usize])
                        .collect::<String>(),
                )
            }
            3 => Value::Array((0..r.next_u64() % 4).map(|_| value(r, depth + 1)).collect()),
            _ => Value::Object(
                (0..r.next_u64() % 4)
                    .map(|k| (format!("k{k}[\\\"]"), value(r, depth + 1)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn copying_inert_runs_finds_what_the_byte_by_byte_scanner_finds() {
        let mut r = Rng::seed_from_u64(0x2545_f491_4f6c_dd1d);
        for round in 0..600 {
            let features: Vec<Value> = (0..r.next_u64() % 6).map(|_| value(&mut r, 0)).collect();
            let doc = serde_json::json!({"type": "FeatureCollection", "x": value(&mut r, 0), "features": features});
            let text = if round % 2 == 0 {
                serde_json::to_vec(&doc).unwrap()
            } else {
                serde_json::to_vec_pretty(&doc).unwrap()
            };
            let expected = reference(&text).unwrap();
            let parsed: Vec<Value> = expected
                .iter()
                .map(|t| serde_json::from_str(t).unwrap())
                .collect();
            assert_eq!(parsed, features);
            for sizes in [
                vec![1 << 20],
                vec![1],
                vec![1, 2, 3, 5, 7],
                vec![(round % 13) + 1],
            ] {
                assert_eq!(
                    scanned(&text, sizes).unwrap(),
                    expected,
                    "{}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        // A backslash as the last byte of a 1 MiB block, escaping the quote after it.
        let pad =
            "x".repeat((1 << 20) - r#"{"type":"FeatureCollection","features":[{"a":""#.len() - 1);
        let doc = format!(r#"{{"type":"FeatureCollection","features":[{{"a":"{pad}\"]}}"}}]}}"#);
        let got = scanned(doc.as_bytes(), vec![1 << 20]).unwrap();
        assert_eq!(got, reference(doc.as_bytes()).unwrap());
        assert_eq!(got.len(), 1);
    }

    /// A lone Feature is held to the same depth limit as a collection's elements (it was,
    /// before the scanner took the check over: `drafts` checked every record).
    #[test]
    fn a_lone_feature_deeper_than_the_limit_is_refused() {
        let deep = format!("{}{}", "[".repeat(110), "]".repeat(110));
        let f = format!(r#"{{"type":"Feature","geometry":null,"properties":{{"x":{deep}}}}}"#);
        let chunk = chunks(std::io::Cursor::new(f.into_bytes()), 10)
            .next()
            .expect("a chunk")
            .expect("scanned");
        let errors = match drafts(&chunk) {
            Ok(_) => Vec::new(),
            Err(es) => es,
        };
        assert!(
            errors
                .iter()
                .any(|e| e.to_string().contains("nested deeper than 100")),
            "accepted a lone Feature nested 112 deep: {errors:?}"
        );
    }
}
