//! How PostgreSQL's failures become `StoreError`s: the server out of reach (down, restarting,
//! out of connections, the connection lost) is `Unavailable`, which the API answers with 503
//! and a replica retries; anything the data caused is `Postgres`.

use std::error::Error as _;

use super::super::StoreError;

/// SQLSTATEs that say the server, not the statement, is the trouble.
fn connection_level(code: &str) -> bool {
    // 08: connection exceptions; 57P01-57P05: shutdown, crash, cannot connect now, idle
    // timeouts; 53300: too many connections.
    code.starts_with("08") || code.starts_with("57P") || code == "53300"
}

pub fn pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let msg = format!("{} ({})", db.message(), db.code().code());
        return if connection_level(db.code().code()) {
            StoreError::Unavailable(msg)
        } else {
            StoreError::Postgres(msg)
        };
    }
    let io = e
        .source()
        .is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some());
    let text = e.to_string();
    // tokio-postgres does not expose its error kinds; these are the connection-level ones.
    if e.is_closed()
        || io
        || text.starts_with("error connecting")
        || text.starts_with("error communicating")
        || text.starts_with("timeout")
    {
        StoreError::Unavailable(text)
    } else {
        StoreError::Postgres(text)
    }
}

pub fn pool(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => pg(e),
        PoolError::Timeout(_) => {
            StoreError::Unavailable("no connection to PostgreSQL within the time allowed".into())
        }
        PoolError::Closed => StoreError::Unavailable("the connection pool is closed".into()),
        other => StoreError::Postgres(other.to_string()),
    }
}

pub fn corrupt(id: i64, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        id,
        reason: reason.to_string(),
    }
}
