//! Waiting for commits: a dedicated connection (not pooled: LISTEN belongs to a session)
//! doing `LISTEN atlas_changes`, on which every commit that moves the feed's head notifies.
//! A replica's follower waits here instead of polling, and still polls `changes_after` after
//! each wake-up (a notification says "something committed", not what).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, NoTls};

use super::error::pg;
use super::tx::CHANNEL;
use crate::store::StoreError;

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

pub struct Listener {
    url: String,
    rt: Option<Runtime>,
    /// Notifications, forwarded by the task that drives the connection; closed when it ends.
    live: Option<(tokio_postgres::Client, mpsc::UnboundedReceiver<i64>)>,
    /// The newest sequence number notified so far (`i64::MAX` after a reconnection: unknown).
    newest: i64,
    /// When the next connection attempt may be made, and the wait after that one fails.
    retry_at: Option<Instant>,
    backoff: Duration,
    /// A connection was lost: notifications may have been missed.
    lost: bool,
}

impl Listener {
    /// A listener for the database at `url`; it connects on the first `wait`.
    pub fn connect(url: &str) -> Listener {
        Listener {
            url: url.to_string(),
            rt: None,
            live: None,
            newest: 0,
            retry_at: None,
            backoff: FIRST_BACKOFF,
            lost: false,
        }
    }

    /// Blocks until a commit is notified (true) or `timeout` passes (false). After the
    /// connection was lost and made again, answers true at once: commits made meanwhile were
    /// not notified. `Err(Unavailable)` while the database cannot be reached (attempts back
    /// off up to 5 s; call again to retry).
    /// The newest sequence number the notifications woken on so far carried (`i64::MAX`
    /// when a reconnection may have missed some).
    pub fn newest(&self) -> i64 {
        self.newest
    }

    pub fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let deadline = Instant::now() + timeout;
        if self.rt.is_none() {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("atlas-pg-listen")
                .enable_all()
                .build()
                .map_err(|e| StoreError::Postgres(format!("cannot start the runtime: {e}")))?;
            self.rt = Some(rt);
        }
        if self.live.is_none() {
            self.reconnect(deadline)?;
            if std::mem::take(&mut self.lost) {
                self.newest = i64::MAX;
                return Ok(true);
            }
        }
        let (Some(rt), Some((_, rx))) = (self.rt.as_ref(), self.live.as_mut()) else {
            return Err(StoreError::Unavailable("not listening".into()));
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let got = rt.block_on(async { tokio::time::timeout(left, rx.recv()).await });
        match got {
            Ok(Some(seq)) => {
                // Several commits wake us once.
                self.newest = seq;
                while let Ok(seq) = rx.try_recv() {
                    self.newest = self.newest.max(seq);
                }
                Ok(true)
            }
            Ok(None) => {
                self.live = None;
                self.lost = true;
                Err(StoreError::Unavailable(
                    "the listening connection was lost".into(),
                ))
            }
            Err(_) => Ok(false),
        }
    }

    fn reconnect(&mut self, deadline: Instant) -> Result<(), StoreError> {
        if let Some(at) = self.retry_at {
            let now = Instant::now();
            if at > now {
                // Not yet: wait out the backoff (or the caller's timeout, if sooner).
                std::thread::sleep(at.min(deadline) - now);
                if at > deadline {
                    return Err(StoreError::Unavailable(
                        "PostgreSQL is not reachable (retrying)".into(),
                    ));
                }
            }
        }
        let Some(rt) = self.rt.as_ref() else {
            return Err(StoreError::Unavailable("not listening".into()));
        };
        let url = self.url.clone();
        match rt.block_on(listen(&url)) {
            Ok(live) => {
                self.live = Some(live);
                self.retry_at = None;
                self.backoff = FIRST_BACKOFF;
                Ok(())
            }
            Err(e) => {
                self.retry_at = Some(Instant::now() + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                Err(e)
            }
        }
    }
}

async fn listen(
    url: &str,
) -> Result<(tokio_postgres::Client, mpsc::UnboundedReceiver<i64>), StoreError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| StoreError::Postgres(format!("{}: {e}", super::redact(url))))?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(super::WAIT);
    }
    let (client, mut connection) = config.connect(NoTls).await.map_err(pg)?;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        // Notifications arrive only through poll_message; the stream ends with the connection.
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let AsyncMessage::Notification(n) = message {
                // The payload is the commit's head; one not a number wakes the follower all
                // the same.
                let seq = n.payload().parse().unwrap_or(i64::MAX);
                if n.channel() == CHANNEL && tx.send(seq).is_err() {
                    break;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .await
        .map_err(pg)?;
    Ok((client, rx))
}
