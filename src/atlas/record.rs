//! The kinds of stored records, each as one `Record` impl: how its drafts are read, placed,
//! stored and served. The write path (`write`) is written once over this trait; a new kind is
//! one impl, one `RecordKind` variant and one `with_record!` arm.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::placement::{self, PlacementError};
use super::write::{Changes, Delta};
use super::{editable, Snapshot};
use crate::collection::{FeatureSource, RecordKind};
use crate::gazetteer::Gazetteer;
use crate::layers::displacement::report_set;
use crate::model::displacement::{DisplacementReport, ReportDraft};
use crate::model::{FieldError, Incident, IncidentDraft};
use crate::store::{StoreError, Writer};

/// A stored record kind the atlas writes.
pub trait Record: Sized + Send + Sync + 'static {
    const KIND: RecordKind;
    /// What a client sends: the record before it is placed on the map and stored.
    type Draft: Send + Sync + 'static;

    /// A GeoJSON Feature as a draft; `at` (a JSON pointer) prefixes fields in errors.
    fn draft(feature: &Value, at: &str) -> Result<Self::Draft, Vec<FieldError>>;
    /// This record's editable form with a JSON merge patch (RFC 7396) applied, as a draft.
    fn patched(&self, patch: &Value) -> Result<Self::Draft, Vec<FieldError>>;
    /// Places a draft on the map: the record, id 0 until stored, created and updated `now`.
    fn place(
        g: &Gazetteer,
        draft: &Self::Draft,
        at: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, PlacementError>;

    fn id(&self) -> i64;
    /// Created and updated at `at`: the commit's stamp (see `sync`).
    fn stamp(&mut self, at: DateTime<Utc>);
    /// A replacement keeps the identity of the record it replaces: its id and creation time.
    fn keep_identity(&mut self, old: &Self);
    /// What a replacement (PUT) that does not say keeps of the record it replaces.
    fn keep_on_replace(_draft: &mut Self::Draft, _old: &Self) {}

    /// The record with this id in a snapshot.
    fn get(snapshot: &Snapshot, id: i64) -> Option<&Self>;
    /// The record with this id as stored now, read in the writer's transaction (another
    /// replica may have changed it since this one's snapshot).
    fn load(w: &mut Writer<'_>, id: i64) -> Result<Option<Self>, StoreError>;
    /// Stores a new record and sets its server-assigned id.
    fn insert(w: &mut Writer<'_>, record: &mut Self) -> Result<(), StoreError>;
    /// Stores new records, in order, setting their ids (one batch where the store has one:
    /// PostgreSQL copies a large batch in one round trip).
    fn insert_all(w: &mut Writer<'_>, records: &mut [Self]) -> Result<(), StoreError> {
        records.iter_mut().try_for_each(|r| Self::insert(w, r))
    }
    /// Replaces the stored record with the same id; false if there is none.
    fn replace(w: &mut Writer<'_>, record: &Self) -> Result<bool, StoreError>;
    /// Deletes a record (the feed records when); false if there is none.
    fn delete(w: &mut Writer<'_>, id: i64) -> Result<bool, StoreError>;

    /// Where this kind's changes gather before a snapshot is published.
    fn changes(changes: &mut Changes) -> &mut Delta<Self>;
    /// Records just written, as features to serve.
    fn served(records: &[Arc<Self>], snapshot: &Snapshot) -> Arc<dyn FeatureSource>;
}

/// Runs `$body` with `$R` the `Record` type of `$kind`: the one place a kind meets its type.
macro_rules! with_record {
    ($kind:expr, $R:ident => $body:expr) => {
        match $kind {
            $crate::collection::RecordKind::Incidents => {
                type $R = $crate::model::Incident;
                $body
            }
            $crate::collection::RecordKind::DisplacementReports => {
                type $R = $crate::model::displacement::DisplacementReport;
                $body
            }
        }
    };
}
pub(crate) use with_record;

impl Record for Incident {
    const KIND: RecordKind = RecordKind::Incidents;
    type Draft = IncidentDraft;

    fn draft(feature: &Value, at: &str) -> Result<IncidentDraft, Vec<FieldError>> {
        IncidentDraft::from_feature_at(feature, at)
    }

    fn patched(&self, patch: &Value) -> Result<IncidentDraft, Vec<FieldError>> {
        IncidentDraft::from_feature(&editable::apply_patch(self, patch))
    }

    /// A PUT without `location_protection` keeps the level: a client that rebuilds a
    /// Feature from scratch must not make a protected incident public by leaving it out
    /// (only an explicit "exact" does).
    fn keep_on_replace(draft: &mut IncidentDraft, old: &Incident) {
        if draft.location_protection.is_none() {
            draft.location_protection =
                crate::model::protection::Level::parse(&old.location_protection).ok();
        }
    }

    fn place(
        g: &Gazetteer,
        draft: &IncidentDraft,
        at: &str,
        now: DateTime<Utc>,
    ) -> Result<Incident, PlacementError> {
        placement::place(g, draft, at, now)
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn stamp(&mut self, at: DateTime<Utc>) {
        self.created_at = at;
        self.updated_at = at;
    }

    fn keep_identity(&mut self, old: &Incident) {
        self.id = old.id;
        self.created_at = old.created_at;
    }

    fn get(snapshot: &Snapshot, id: i64) -> Option<&Incident> {
        snapshot.incidents.get(id).map(Arc::as_ref)
    }

    fn load(w: &mut Writer<'_>, id: i64) -> Result<Option<Incident>, StoreError> {
        w.incident(id)
    }

    fn insert(w: &mut Writer<'_>, record: &mut Incident) -> Result<(), StoreError> {
        w.insert(record)
    }

    fn insert_all(w: &mut Writer<'_>, records: &mut [Incident]) -> Result<(), StoreError> {
        w.insert_incidents(records)
    }

    fn replace(w: &mut Writer<'_>, record: &Incident) -> Result<bool, StoreError> {
        w.replace(record)
    }

    fn delete(w: &mut Writer<'_>, id: i64) -> Result<bool, StoreError> {
        w.delete(id)
    }

    fn changes(changes: &mut Changes) -> &mut Delta<Incident> {
        &mut changes.incidents
    }

    fn served(records: &[Arc<Incident>], _: &Snapshot) -> Arc<dyn FeatureSource> {
        Arc::new(records.to_vec())
    }
}

impl Record for DisplacementReport {
    const KIND: RecordKind = RecordKind::DisplacementReports;
    type Draft = ReportDraft;

    fn draft(feature: &Value, at: &str) -> Result<ReportDraft, Vec<FieldError>> {
        ReportDraft::from_feature_at(feature, at)
    }

    fn patched(&self, patch: &Value) -> Result<ReportDraft, Vec<FieldError>> {
        ReportDraft::from_feature_at(&editable::apply_report_patch(self, patch), "")
    }

    fn place(
        g: &Gazetteer,
        draft: &ReportDraft,
        at: &str,
        now: DateTime<Utc>,
    ) -> Result<DisplacementReport, PlacementError> {
        placement::place_report(g, draft, at, now)
    }

    fn id(&self) -> i64 {
        self.id
    }

    fn stamp(&mut self, at: DateTime<Utc>) {
        self.created_at = at;
        self.updated_at = at;
    }

    fn keep_identity(&mut self, old: &DisplacementReport) {
        self.id = old.id;
        self.created_at = old.created_at;
    }

    fn get(snapshot: &Snapshot, id: i64) -> Option<&DisplacementReport> {
        snapshot.displacement.get(id).map(Arc::as_ref)
    }

    fn load(w: &mut Writer<'_>, id: i64) -> Result<Option<DisplacementReport>, StoreError> {
        w.report(id)
    }

    fn insert(w: &mut Writer<'_>, record: &mut DisplacementReport) -> Result<(), StoreError> {
        w.insert_report(record)
    }

    fn replace(w: &mut Writer<'_>, record: &DisplacementReport) -> Result<bool, StoreError> {
        w.replace_report(record)
    }

    fn delete(w: &mut Writer<'_>, id: i64) -> Result<bool, StoreError> {
        w.delete_report(id)
    }

    fn changes(changes: &mut Changes) -> &mut Delta<DisplacementReport> {
        &mut changes.reports
    }

    fn served(records: &[Arc<DisplacementReport>], snapshot: &Snapshot) -> Arc<dyn FeatureSource> {
        // Reports are served with their places' names and anchors.
        Arc::new(report_set(records, &snapshot.gazetteer))
    }
}

/// A Feature, or each Feature of a FeatureCollection, as drafts of `R`, all errors at once.
pub fn drafts<R: Record>(value: &Value) -> Result<Vec<R::Draft>, Vec<FieldError>> {
    match value.get("type").and_then(Value::as_str) {
        Some("Feature") => R::draft(value, "").map(|d| vec![d]),
        Some("FeatureCollection") => {
            let Some(features) = value.get("features").and_then(Value::as_array) else {
                return Err(vec![FieldError::new(
                    "/features",
                    "expected an array of Features",
                )]);
            };
            let mut drafts = Vec::with_capacity(features.len());
            let mut errors = Vec::new();
            for (n, f) in features.iter().enumerate() {
                match R::draft(f, &format!("/features/{n}")) {
                    Ok(d) => drafts.push(d),
                    Err(e) => errors.extend(e),
                }
            }
            if errors.is_empty() {
                Ok(drafts)
            } else {
                Err(errors)
            }
        }
        _ => Err(vec![FieldError::new(
            "/type",
            "expected a GeoJSON Feature or FeatureCollection",
        )]),
    }
}
