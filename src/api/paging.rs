//! TODO(merge): the paging constants moved to `service` (pinning to `service::items`).

pub use crate::service::{SNAPSHOT_DESCRIPTION, SNAPSHOT_PATTERN};
