//! Files in and out: GeoJSON FeatureCollections and ACLED-format CSV; any features as CSV
//! with WKT or as FlatGeobuf.

pub mod acled_csv;
pub mod fgb;
pub mod geojson_stream;
pub mod plain_feature;
pub mod wkt_csv;

use std::borrow::Borrow;
use std::io::Write;

use crate::feature_output::FeatureOutput;
use crate::model::{Incident, IncidentFeature};

/// Writes incidents as one GeoJSON FeatureCollection, feature by feature.
pub fn write_geojson<I: Borrow<Incident>>(
    incidents: &[I],
    out: &mut impl Write,
) -> std::io::Result<()> {
    write_geojson_iter(incidents.iter().map(Borrow::borrow), out)
}

/// As `write_geojson`, from any stream of incidents (nothing is held in memory).
pub fn write_geojson_iter(
    incidents: impl Iterator<Item = impl Borrow<Incident>>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    for (n, incident) in incidents.enumerate() {
        let incident: &Incident = incident.borrow();
        if n > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(
            &mut *out,
            &IncidentFeature {
                incident,
                distance_m: None,
                output: &FeatureOutput::DEFAULT,
            },
        )?;
    }
    out.write_all(b"]}\n")
}
