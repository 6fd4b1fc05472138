//! The data model: incidents coded the ACLED way, displacement reports, validation of what
//! clients send, and the time filters every collection shares. Each record kind declares its
//! fields once (`incident_fields`, `report_fields`, as `field::Field`s); the lists the rest
//! of the program needs are derived from that. Knows no HTTP and no SQL: of the store, only
//! which fields it keeps.

pub mod cell;
pub mod displacement;
pub mod draft;
pub mod feature_json;
pub mod field;
pub mod field_schema;
pub mod incident;
pub mod incident_fields;
pub mod interval;
pub mod protection;
pub mod report_fields;
pub mod taxonomy;

pub use draft::IncidentDraft;
pub use incident::{Incident, IncidentFeature, Placement};
pub use interval::Interval;

use serde::Serialize;

/// One invalid input field: `field` names it as a JSON pointer-like path, `reason` says why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}
