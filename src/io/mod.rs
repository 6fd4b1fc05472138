//! Files in and out: GeoJSON FeatureCollections and ACLED-format CSV.

pub mod acled_csv;

use std::io::Write;

use crate::feature_output::FeatureOutput;
use crate::model::{Incident, IncidentFeature};

/// Writes incidents as one GeoJSON FeatureCollection, feature by feature.
pub fn write_geojson(incidents: &[Incident], out: &mut impl Write) -> std::io::Result<()> {
    write_geojson_iter(incidents.iter().cloned(), out)
}

/// As `write_geojson`, from any stream of incidents (nothing is held in memory).
pub fn write_geojson_iter(
    incidents: impl Iterator<Item = Incident>,
    out: &mut impl Write,
) -> std::io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")?;
    for (n, incident) in incidents.enumerate() {
        let incident = &incident;
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
