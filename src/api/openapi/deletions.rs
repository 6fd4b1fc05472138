//! The deletions feed of each collection keeping one, and the schemas its annotation names.
//! `sync::deletions` is annotated on `/collections/{collectionId}/deletions`; each collection
//! keeping deletions gets its own copy, whose texts name what it stores.

use utoipa::openapi::{Paths, RefOr};

use super::basic::at_least;
use super::per_collection;
use crate::api::sync::{cursor_header_doc, CURSOR_HEADER};
use crate::atlas::Snapshot;
use crate::service::parameters::DEFAULT_LIMIT;

schema_types! {
    /// A page size: 1 or more (more than a page holds is clamped), by default `DEFAULT_LIMIT`.
    Limit = at_least(1).default(Some(DEFAULT_LIMIT.into()));
    /// How many to skip, by default none.
    Offset = at_least(0).default(Some(0.into()));
}

/// Replaces the derived deletions feed by one per collection of `snap` keeping deletions.
pub fn add(paths: &mut Paths, snap: &Snapshot) {
    let keeping = snap.collections().iter().filter(|c| c.keeps_deletions());
    let template = "/collections/{collectionId}/deletions";
    per_collection(paths, template, keeping.map(|c| c.as_ref()), |c, op| {
        // Deletions are of stored records; a collection without a kind names them by its id.
        let (name, plural) = c
            .record_kind()
            .map_or((c.id(), c.id()), |k| (k.type_name(), k.plural()));
        op.operation_id = Some(format!("get{name}Deletions"));
        op.summary = Some(format!(
            "Deleted {plural} and when, for mirrors keeping a copy in step"
        ));
        if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
            ok.description =
                format!("Deleted {plural}, oldest first, with numberMatched and next/prev links");
            ok.headers.insert(CURSOR_HEADER.into(), cursor_header_doc());
        }
        let params = op.parameters.iter_mut().flatten();
        for p in params.filter(|p| p.name == "deleted_after") {
            p.description = Some(format!(
                "A change-feed sequence number (the Atlas-Sync-Cursor header of an earlier \
                 answer) or an RFC 3339 timestamp: only {plural} deleted strictly after it"
            ));
        }
    });
}
