//! The service layer: what the API answers, without HTTP. Requests come in as typed values
//! (query parameters vetted in one place, one items request whether from a query string or a
//! search body); typed documents go out (`Serialize + ToSchema`, so the OpenAPI document is
//! derived from the same types the answers are made of). The `api` layer only reads requests
//! off the wire, picks the representation and writes the response.

pub mod catalog;
pub mod changes;
pub mod deletions;
pub mod error;
pub mod feature_collection;
pub mod format;
pub mod gazetteer;
pub mod geometry_member;
pub mod geoparse;
pub mod items;
pub mod items_request;
pub mod link;
pub mod members;
pub mod parameters;
pub mod query_params;
pub mod tiles;

pub use error::RequestError;
pub use format::Format;
pub use items_request::ItemsRequest;
pub use link::Link;
pub use query_params::QueryParams;

/// The query parameter (and search body member) that names a pinned snapshot.
pub const SNAPSHOT: &str = "snapshot";

/// The form of a token (what `atlas::paging` writes), for the OpenAPI document.
pub const SNAPSHOT_PATTERN: &str = "^[0-9a-f]{8}-(0|[1-9][0-9]*)$";

/// What the OpenAPI document says of it.
pub const SNAPSHOT_DESCRIPTION: &str = "Set by next links: the data snapshot a page sequence \
    started on, so that its pages never skip or repeat a feature while others write. Kept 10 \
    minutes after the last page read from it and 30 minutes at most; once dropped, a 410 asks \
    to start again.";
