//! Geoparsing news text (Arabic and English) into place mentions and draft incidents.
//! (Being written: see issue 4.)

use crate::gazetteer::Gazetteer;

/// Built once from the gazetteer; immutable afterwards.
pub struct Geoparser {}

impl Geoparser {
    pub fn new(_gazetteer: &Gazetteer) -> Geoparser {
        Geoparser {}
    }
}
