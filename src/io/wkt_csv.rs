//! CSV of any features: a `WKT` geometry column (the name GDAL's CSV driver reads geometry
//! from), then the id and the properties of a `Schema`. Incidents have their own layout
//! (`acled_csv`).

use std::io::Write;

use geozero::ToWkt;

use super::plain_feature::{cell_text, PlainFeature, Schema};

pub const GEOMETRY_COLUMN: &str = "WKT";

pub fn write_header<W: Write>(w: &mut csv::Writer<W>, schema: &Schema) -> csv::Result<()> {
    w.write_record(
        std::iter::once(GEOMETRY_COLUMN).chain(schema.columns.iter().map(|c| c.name.as_str())),
    )
}

/// One feature as a row under `write_header`'s columns; a missing value is an empty cell.
pub fn write_row<W: Write>(
    w: &mut csv::Writer<W>,
    schema: &Schema,
    f: &PlainFeature,
) -> csv::Result<()> {
    let wkt = match &f.geometry {
        Some(g) => g
            .to_wkt()
            .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?,
        None => String::new(),
    };
    w.write_field(wkt)?;
    for c in &schema.columns {
        w.write_field(cell_text(f.value(&c.name)).as_ref())?;
    }
    w.write_record(None::<&[u8]>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_wkt_then_id_then_properties() {
        let f = PlainFeature::from_geojson(
            br#"{"type":"Feature","id":"p","geometry":{"type":"Point","coordinates":[40.5,36.25]},
                "properties":{"name":"al-Zuhur, \"north\"","kinds":["a","b"],"n":3}}"#,
        )
        .unwrap();
        let schema = Schema::of([&f]);
        let mut w = csv::Writer::from_writer(Vec::new());
        write_header(&mut w, &schema).unwrap();
        write_row(&mut w, &schema, &f).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            r.headers().unwrap().iter().collect::<Vec<_>>(),
            ["WKT", "id", "name", "kinds", "n"]
        );
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            [
                "POINT(40.5 36.25)",
                "p",
                "al-Zuhur, \"north\"",
                r#"["a","b"]"#,
                "3"
            ]
        );
    }
}
