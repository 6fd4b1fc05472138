//! The change feed: every committed write (create, replace, patch, delete, of any record
//! kind) gets a sequence number, and the store keeps, for each record, its latest change.
//!
//! Sequence numbers are handed out under the feed's head row, which a writer holds from its
//! first statement until its commit (a row lock in PostgreSQL, the one writer in SQLite). So
//! numbers are committed in the order they were handed out: a reader that has seen `n` will
//! never later find a change numbered below `n`. The commit's stamp is taken under the same
//! lock, one microsecond after the previous one at least, so stamps grow with sequence
//! numbers across every replica whatever their clocks say.
//!
//! The feed is compacted: a record changed twice keeps only its second entry. A follower
//! that applies entries in order ends with every record's latest state and every deletion.

use chrono::{DateTime, Utc};

use crate::collection::RecordKind;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;

/// What a change did to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        match s {
            "create" => Some(Op::Create),
            "update" => Some(Op::Update),
            "delete" => Some(Op::Delete),
            _ => None,
        }
    }
}

/// How the store names a record kind in its `change` table: the collection's id.
pub fn collection_of(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Incidents => "incidents",
        RecordKind::DisplacementReports => "displacement-reports",
    }
}

pub fn kind_of(collection: &str) -> Option<RecordKind> {
    RecordKind::ALL
        .into_iter()
        .find(|k| collection_of(*k) == collection)
}

/// One entry of the feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub kind: RecordKind,
    pub id: i64,
    pub op: Op,
    pub at: DateTime<Utc>,
}

/// The newest change a store (or a snapshot) holds: its sequence number and commit stamp.
/// Before any write: sequence 0 at the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub at: DateTime<Utc>,
}

impl Head {
    pub const EMPTY: Head = Head {
        seq: 0,
        at: DateTime::UNIX_EPOCH,
    };
}

/// A record as the store holds it now. Unboxed though reports are smaller: entries live
/// only while a page or a stretch of the stream is written, and most hold an incident.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Stored {
    Incident(Incident),
    Report(DisplacementReport),
}

/// An entry of the feed with its record as stored now (none for a deletion).
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEntry {
    pub change: Change,
    pub record: Option<Stored>,
}
