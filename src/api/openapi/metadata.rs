//! The metadata routes (landing page, conformance, the collections, one collection, this
//! document) are derived from their handlers; what the data adds is the list of collection
//! ids a client may name.

use utoipa::openapi::path::ParameterIn;
use utoipa::openapi::OpenApi as Document;

use super::basic::string;
use crate::atlas::Snapshot;

/// Lists the ids of `snap` as the values `collectionId` may take.
pub fn name_collections(doc: &mut Document, snap: &Snapshot) {
    let ids: Vec<String> = snap
        .collections()
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    let Some(item) = doc.paths.paths.get_mut("/collections/{collectionId}") else {
        return;
    };
    let params = item
        .get
        .iter_mut()
        .flat_map(|op| op.parameters.iter_mut().flatten());
    for p in params.filter(|p| p.name == "collectionId" && p.parameter_in == ParameterIn::Path) {
        p.schema = Some(string().enum_values(Some(ids.clone())).into());
    }
}
