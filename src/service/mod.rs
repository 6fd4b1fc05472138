//! The service layer: what the API answers, without HTTP. Requests come in as typed values
//! (query parameters vetted in one place, one items request whether from a query string or a
//! search body); typed documents go out (`Serialize + ToSchema`, so the OpenAPI document is
//! derived from the same types the answers are made of). The `api` layer only reads requests
//! off the wire, picks the representation and writes the response.

pub mod error;
pub mod format;
pub mod link;
pub mod query_params;

pub use error::RequestError;
pub use format::Format;
pub use link::Link;
pub use query_params::QueryParams;
pub mod tiles;
