//! An incident's Feature in the default output (CRS84, every property) written straight as
//! bytes: the same bytes `serde_json::to_writer(IncidentFeature)` writes (a test holds them
//! equal), in a third of the time. Serde escapes every string byte by byte, member names
//! too; here names are constants and text that needs no escaping (nearly all of it) is
//! copied whole. Uncached pages spend most of their time writing features.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use serde::Serialize;

use super::cell::Cell;
use super::incident::{IncidentFeature, Reader, DISTANCE, WRITTEN};

impl IncidentFeature<'_> {
    /// Appends the Feature's GeoJSON to `out`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        if !self.output.is_default() {
            serde(out, self);
            return;
        }
        let i = self.incident;
        out.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        out.extend_from_slice(itoa::Buffer::new().format(i.id).as_bytes());
        out.extend_from_slice(b",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        serde(out, &i.lon);
        out.push(b',');
        serde(out, &i.lat);
        out.extend_from_slice(b"]},\"properties\":{");
        // One block per property, each with its reader a constant: the readers inline and
        // each `Cell` match folds to its one arm (a loop over the table was an indirect call
        // and an indirect jump per property, a third of the writer's time).
        macro_rules! properties {
            ($($n:literal)*) => {
                $({
                    const FIELD: (&str, Reader) = WRITTEN[$n];
                    member(out, FIELD.0, $n == 0);
                    cell(out, (FIELD.1)(i));
                })*
                const _: () = assert!([$($n),*].len() == WRITTEN.len(), "write every property");
            };
        }
        properties!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33);
        if let Some(d) = self.distance_m {
            member(out, DISTANCE, false);
            // As `IncidentProperties` rounds it: centimetres.
            serde(out, &((d * 100.0).round() / 100.0));
        }
        out.extend_from_slice(b"}}");
    }
}

/// `"name":`, after a comma unless first. Names are our own identifiers: nothing to escape.
#[inline(always)]
fn member(out: &mut Vec<u8>, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

#[inline(always)]
fn cell(out: &mut Vec<u8>, c: Cell) {
    match c {
        Cell::Null => out.extend_from_slice(b"null"),
        Cell::Text(s) => string(out, s),
        Cell::Integer(n) => out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes()),
        Cell::Texts(list) => {
            out.push(b'[');
            for (k, s) in list.iter().enumerate() {
                if k > 0 {
                    out.push(b',');
                }
                string(out, s);
            }
            out.push(b']');
        }
        Cell::Date(d) => date(out, d, true),
        Cell::Timestamp(t) => timestamp(out, t),
        // Non-finite numbers become null, as serde writes them.
        c @ Cell::Number(_) => serde(out, &c),
    }
}

/// `"2022-01-20"`, as chrono's `Display` (and so serde) writes a date in years 0–9999.
#[inline]
fn date(out: &mut Vec<u8>, d: NaiveDate, quoted: bool) {
    if !(0..=9999).contains(&d.year()) {
        serde(out, &d);
        return;
    }
    let year = d.year() as u32;
    if quoted {
        out.push(b'"');
    }
    digits(out, year / 100);
    digits(out, year % 100);
    out.push(b'-');
    digits(out, d.month());
    out.push(b'-');
    digits(out, d.day());
    if quoted {
        out.push(b'"');
    }
}

/// `"2022-01-20T18:00:00.5Z"`-style, as chrono's serde writes a UTC time: fractions in 3,
/// 6 or 9 digits, none when whole.
#[inline]
fn timestamp(out: &mut Vec<u8>, t: DateTime<Utc>) {
    // Once: each accessor of a `DateTime` would add the (zero) offset again.
    let n = t.naive_utc();
    let nanos = n.nanosecond();
    // Leap seconds and years beyond four digits: chrono's own rules.
    if nanos >= 1_000_000_000 || !(0..=9999).contains(&n.year()) {
        serde(out, &t);
        return;
    }
    out.push(b'"');
    date(out, n.date(), false);
    out.push(b'T');
    digits(out, n.hour());
    out.push(b':');
    digits(out, n.minute());
    out.push(b':');
    digits(out, n.second());
    let (value, width) = super::cell::second_fraction(nanos);
    if width > 0 {
        out.push(b'.');
        let mut text = [b'0'; 9];
        let mut rest = value;
        for d in text[..width].iter_mut().rev() {
            *d = b'0' + (rest % 10) as u8;
            rest /= 10;
        }
        out.extend_from_slice(&text[..width]);
    }
    out.extend_from_slice(b"Z\"");
}

/// Two decimal digits of `n` (below 100).
#[inline]
fn digits(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&[b'0' + (n / 10) as u8, b'0' + (n % 10) as u8]);
}

/// A JSON string: copied between quotes when nothing in it needs escaping, else serde's.
#[inline]
fn string(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        serde(out, s);
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether `s` holds a byte JSON escapes (below 0x20, a quote or a backslash), eight at a time:
/// most text is a few words, and a byte-by-byte tail was most of the test's time.
#[inline]
fn needs_escape(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    /// High bits set where a byte of `w` may be one to escape; exact as a whole (the
    /// classic has-a-zero-byte and has-a-byte-below tests, bytes of 0x80 and up excluded).
    #[inline(always)]
    fn word(w: u64) -> u64 {
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        (w.wrapping_sub(ONES * 0x20) & !w)
            | (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
    }
    let load = |bytes: &[u8]| <[u8; 8]>::try_from(bytes).map(u64::from_le_bytes);
    let mut found = 0;
    if s.len() >= 8 {
        let mut words = s.chunks_exact(8);
        for w in &mut words {
            // Chunks of eight always convert; if one did not, serde would do the escaping.
            found |= load(w).map_or(u64::MAX, word);
        }
        if !words.remainder().is_empty() {
            // The last eight bytes, overlapping the words before: a yes/no test allows it.
            found |= load(&s[s.len() - 8..]).map_or(u64::MAX, word);
        }
    } else {
        // Padded with spaces, which need no escaping.
        let mut padded = [b' '; 8];
        padded[..s.len()].copy_from_slice(s);
        found = word(u64::from_le_bytes(padded));
    }
    found & (ONES << 7) != 0
}

#[inline]
fn serde<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing plain values into a Vec cannot fail.
    serde_json::to_writer(out, value).expect("plain values serialise");
}

#[cfg(test)]
mod tests {
    /// Every byte at every place of texts up to 24 bytes long: escaped exactly when serde
    /// escapes it.
    #[test]
    fn the_escape_test_finds_every_byte_serde_escapes() {
        for len in 0..24 {
            for at in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut text = vec![b'a'; len];
                    if len > 0 {
                        text[at] = b;
                    }
                    let expected = text.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\');
                    assert_eq!(super::needs_escape(&text), expected, "{len} {at} {b}");
                }
            }
        }
        assert!(!super::needs_escape("اشتباكات في حي الزهور".as_bytes()));
    }

    use chrono::{TimeZone, Utc};

    use crate::crs::Crs;
    use crate::feature_output::FeatureOutput;
    use crate::gazetteer::Gazetteer;
    use crate::model::{Incident, IncidentFeature};

    fn both(i: &Incident, distance_m: Option<f64>, output: &FeatureOutput) -> (String, String) {
        let feature = IncidentFeature {
            incident: i,
            distance_m,
            output,
        };
        let mut fast = Vec::new();
        feature.write_json(&mut fast);
        let serde = serde_json::to_string(&feature).unwrap();
        (String::from_utf8(fast).unwrap(), serde)
    }

    #[test]
    fn the_fast_writer_writes_what_serde_writes() {
        let gazetteer = Gazetteer::load(true, &[]).unwrap();
        let mut generator = crate::generate::Generator::new(&gazetteer, 11);
        let mut incidents: Vec<Incident> = (0..500).map(|_| generator.incident()).collect();
        // Every kind of text that needs escaping, and some that does not.
        let mut odd = Incident::sample(-7, -179.999_999_9, 89.5);
        odd.notes =
            Some("a \"quote\", a \\ backslash, a\nnewline, \t, \u{1}, \u{7f}, / and é".into());
        odd.actor2 = Some("اشتباكات في حي الزهور".into());
        odd.tags = vec!["x\"y".into(), "".into(), "سجن".into()];
        odd.source_url = Some("https://example.org/a?b=c&d=\u{1f}".into());
        odd.fatalities_low = Some(0);
        odd.created_at = Utc.with_ymd_and_hms(2022, 1, 20, 18, 0, 0).unwrap();
        odd.updated_at = odd.created_at + chrono::Duration::nanoseconds(123_456_789);
        incidents.push(odd.clone());
        // Each width of fraction, and dates beyond four-digit years.
        for (n, nanos) in [1, 1_000, 120_000_000, 999_999_000, 5]
            .into_iter()
            .enumerate()
        {
            let mut i = odd.clone();
            i.updated_at = odd.created_at + chrono::Duration::nanoseconds(nanos);
            i.event_date =
                chrono::NaiveDate::from_ymd_opt([1, 999, 2022, 9999, 12345][n], 2, 3).unwrap();
            incidents.push(i);
        }
        let default = FeatureOutput::DEFAULT;
        let mercator = FeatureOutput {
            crs: Crs::WebMercator,
            properties: None,
        };
        for i in &incidents {
            for distance in [None, Some(1234.5678), Some(0.0)] {
                let (fast, serde) = both(i, distance, &default);
                assert_eq!(fast, serde);
                serde_json::from_str::<serde_json::Value>(&fast).expect("valid JSON");
                let (fast, serde) = both(i, distance, &mercator);
                assert_eq!(fast, serde);
            }
        }
        // The written notes read back as they were.
        let (fast, _) = both(&odd, None, &default);
        let v: serde_json::Value = serde_json::from_str(&fast).unwrap();
        assert_eq!(v["properties"]["notes"], odd.notes.clone().unwrap());
        assert_eq!(
            v["properties"]["updated_at"],
            "2022-01-20T18:00:00.123456789Z"
        );
        assert_eq!(v["geometry"]["coordinates"][0], -179.999_999_9);
    }
}

#[cfg(test)]
mod odd_value_tests {
    use chrono::{NaiveDate, NaiveTime, TimeZone, Utc};
    use rand::{Rng as _, RngCore, SeedableRng};

    use crate::feature_output::FeatureOutput;
    use crate::model::{Incident, IncidentFeature};

    // The generator's seeded stream (generate.rs), for reproducible random cases.
    type Rng = rand_chacha::ChaCha8Rng;

    fn text(r: &mut Rng) -> String {
        let chars: Vec<char> = (0u32..0x80)
            .filter_map(char::from_u32)
            .chain([
                '\u{80}', '\u{9f}', '\u{2028}', '\u{2029}', '\u{feff}', 'é', '😀', '\u{fffd}',
            ])
            .collect();
        let n = r.next_u64() % 12;
        (0..n)
            .map(|_| chars[r.random_range(0..chars.len())])
            .collect()
    }

    /// Random incidents with every odd value: the fast writer against serde.
    #[test]
    fn the_fast_writer_matches_serde_on_odd_values() {
        let mut r = Rng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
        let floats = [
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            -1e-300,
            5e-324,
            f64::MAX,
            0.1 + 0.2,
            1e16,
            1e21,
            123456789.123,
            0.005,
            -0.004999,
        ];
        let years = [
            -10000, -1, 0, 1, 99, 100, 999, 1000, 2022, 9999, 10000, 200000,
        ];
        let nanos = [
            0u32,
            1,
            10,
            999,
            1_000,
            1_000_000,
            100_000_000,
            999_999_999,
            1_000_000_000,
            1_500_000_000,
            1_999_999_999,
        ];
        let default = FeatureOutput::DEFAULT;
        for _ in 0..4_000 {
            let mut i = Incident::sample(
                r.next_u64() as i64,
                floats[r.random_range(0..floats.len())],
                floats[r.random_range(0..floats.len())],
            );
            i.notes = Some(text(&mut r));
            i.actor1 = text(&mut r).into();
            i.location = text(&mut r).into();
            i.source_url = if r.next_u64().is_multiple_of(2) {
                None
            } else {
                Some(text(&mut r))
            };
            i.tags = (0..r.next_u64() % 3).map(|_| text(&mut r)).collect();
            let y = years[r.random_range(0..years.len())];
            i.event_date = NaiveDate::from_ymd_opt(
                y,
                1 + (r.next_u64() % 12) as u32,
                1 + (r.next_u64() % 28) as u32,
            )
            .unwrap();
            let nano = nanos[r.random_range(0..nanos.len())];
            // Leap-second nanos are only valid at :59.
            let t = NaiveTime::from_hms_nano_opt(23, 59, 59, nano).unwrap();
            let d = NaiveDate::from_ymd_opt(years[r.random_range(0..years.len())], 12, 31).unwrap();
            i.updated_at = Utc.from_utc_datetime(&d.and_time(t));
            i.created_at = Utc.from_utc_datetime(
                &NaiveDate::from_ymd_opt(years[r.random_range(0..years.len())], 2, 3)
                    .unwrap()
                    .and_time(
                        NaiveTime::from_hms_nano_opt(
                            0,
                            0,
                            0,
                            nanos[r.random_range(0..nanos.len())] % 1_000_000_000,
                        )
                        .unwrap(),
                    ),
            );
            i.fatalities_low = if r.next_u64().is_multiple_of(2) {
                None
            } else {
                Some(r.next_u64() as u32)
            };
            let distance = if r.next_u64().is_multiple_of(3) {
                None
            } else {
                Some(floats[r.random_range(0..floats.len())])
            };
            let feature = IncidentFeature {
                incident: &i,
                distance_m: distance,
                output: &default,
            };
            let mut fast = Vec::new();
            feature.write_json(&mut fast);
            let serde = serde_json::to_vec(&feature).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&fast),
                String::from_utf8_lossy(&serde),
                "{i:?} {distance:?}"
            );
        }
    }
}
