//! GET /changes: the change feed (see `service::changes`), read from the store beside the
//! writer, its features written as the current snapshot serves them: a page as JSON, or, for
//! `Accept: text/event-stream` (a browser's EventSource), the live stream of server-sent
//! events.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_lab::sse::{self, Sse};
use tokio::sync::{broadcast, mpsc};

use super::links::{base_url, JSON};
use super::openapi::{JsonOnly, Limit};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::atlas::AtlasError;
use crate::collection::RecordKind;
use crate::service::changes::{self, ChangeFilter, ChangesPage, ChangesRequest};
use crate::store::{Feed, FeedEntry};

/// GET /changes.
#[utoipa::path(
    get,
    path = "/changes",
    operation_id = "getChanges",
    summary = "Every committed write in commit order: the change feed mirrors, replicas and live maps follow",
    description = "Each record's latest change once, oldest first, numbered by a sequence \
        that grows strictly in commit order across every server sharing the database. Creates \
        and updates carry the feature; deletes do not. Follow the next link (or pass the last \
        seq as after) to get what changed since; a write's answer carries its seq in the \
        Atlas-Sync-Cursor header. With Accept: text/event-stream the feed is pushed live as \
        server-sent events (id: the seq, event: the op, data: the change as JSON), resumed \
        after Last-Event-ID or after; `layer` events say a derived collection changed. \
        collection, bbox, datetime and event_type keep the changes a client wants (the \
        incident conditions let deletions and reports through).",
    params(
        ("after" = Option<i64>, Query, minimum = 0,
            description = "Only changes with a sequence number strictly above it (default 0: from the start)"),
        ("limit" = inline(Option<Limit>), Query,
            description = "Changes per page, 1..10000 (default 100); larger values are clamped to 10000."),
        ("collection" = Option<String>, Query,
            description = "Only this collection's changes: incidents or displacement-reports"),
        ("bbox" = Option<String>, Query,
            description = "Only incidents inside this box, minLon,minLat,maxLon,maxLat (CRS84)"),
        ("datetime" = Option<String>, Query,
            description = "Only incidents whose event date overlaps this instant or interval (RFC 3339, .. for open ends)"),
        ("event_type" = Option<String>, Query,
            description = "Only incidents of these event types, comma-separated"),
        ("f" = inline(Option<JsonOnly>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "A page of changes with the next after to pass; or, for Accept: text/event-stream, the live stream",
            body = ChangesPage, content_type = "application/json",
            headers(("atlas-sync-cursor" = i64, description = "The sequence number this server's snapshot is at"))),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now, or (live) every subscriber place is taken; Retry-After says when to try again",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let request = ChangesRequest::from_query(req.query_string())?;
    let base = base_url(&req, &state);
    if wants_events(&req, &request) {
        return live(&req, &state, request, base);
    }
    let feed = state.atlas.feed.clone();
    let (after, limit) = (request.after, request.limit);
    // One more than asked, to tell whether more follow.
    let entries = read(feed, after, limit.saturating_add(1)).await?;
    let exact = super::auth::sees_exact(&req);
    let entries = entries
        .into_iter()
        .map(|e| changes::for_caller(e, exact))
        .collect();
    let page = changes::page(&super::snapshot(&req, &state), &request, entries, &base);
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(JSON).body(body))
}

/// Whether the client asks for server-sent events (and no `f` says otherwise).
fn wants_events(req: &HttpRequest, request: &ChangesRequest) -> bool {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept.contains("text/event-stream") && !request.query.pairs().iter().any(|(k, _)| k == "f")
}

async fn read(feed: Feed, after: i64, limit: usize) -> Result<Vec<FeedEntry>, ApiError> {
    web::block(move || feed.changes_after(after, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("feed read failed: {e}")))?
        .map_err(|e| ApiError::from(AtlasError::Store(e)))
}

/// Events queued for one subscriber; a client that lets this many pile up is dropped.
const QUEUE: usize = 256;
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const RETRY: Duration = Duration::from_secs(2);
/// Entries read from the store per step of a replay.
const REPLAY: usize = 1000;

/// The live stream: the feed after `after` (or `Last-Event-ID`) from the store, then every
/// stretch the hub broadcasts, filtered, as events.
fn live(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    request: ChangesRequest,
    base: String,
) -> Result<HttpResponse, ApiError> {
    let permit = state.subscribers.clone().try_acquire_owned().map_err(|_| {
        ApiError::ServiceUnavailable {
            detail: "every place for live subscribers is taken; try again shortly".into(),
            retry_after: 5,
        }
    })?;
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let after = resume.unwrap_or(request.after).max(0);
    let (tx, rx) = mpsc::channel(QUEUE);
    // Subscribed before the replay starts, so nothing falls between the two.
    let broadcast = state.atlas.subscribe();
    let exact = super::auth::sees_exact(req);
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let _permit = permit;
        let mut stream = Subscriber {
            tx,
            filter: request.filter,
            exact,
            last: after,
            base,
            state,
        };
        stream.run(broadcast).await;
    });
    let events = Sse::from_infallible_receiver(rx)
        .with_keep_alive(KEEP_ALIVE)
        .with_retry_duration(RETRY);
    Ok(actix_web::Responder::respond_to(events, req))
}

/// One live subscriber's task.
struct Subscriber {
    tx: mpsc::Sender<sse::Event>,
    filter: ChangeFilter,
    /// Whether the subscriber may see true locations (else protected incidents go out at
    /// their public ones).
    exact: bool,
    /// The last sequence number sent (or skipped by the filter).
    last: i64,
    base: String,
    state: web::Data<AppState>,
}

impl Subscriber {
    async fn run(&mut self, mut broadcast: broadcast::Receiver<crate::atlas::live::Batch>) {
        let head = self.state.atlas.served_seq();
        if self.last > head {
            // A cursor from elsewhere (another database, or one since restored): start over.
            let data = serde_json::json!({
                "reason": format!("no change {} here; refetch, then follow from {head}", self.last),
                "after": head,
            });
            if !self.send(
                sse::Data::new(data.to_string())
                    .event("reset")
                    .id(head.to_string()),
            ) {
                return;
            }
            self.last = head;
        }
        if !self.replay().await {
            return;
        }
        loop {
            match broadcast.recv().await {
                Ok(batch) => {
                    let news: Vec<&FeedEntry> =
                        batch.iter().filter(|e| e.change.seq > self.last).collect();
                    if !self.forward(news) {
                        return;
                    }
                }
                // Behind the hub's buffer: read what was missed from the store.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if !self.replay().await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    /// Sends the feed after `last` from the store until it ends; false when the client is
    /// gone, too slow, or the store cannot be read.
    async fn replay(&mut self) -> bool {
        loop {
            let feed = self.state.atlas.feed.clone();
            let Ok(entries) = read(feed, self.last, REPLAY).await else {
                return false;
            };
            let done = entries.len() < REPLAY;
            if !self.forward(entries.iter().collect()) {
                return false;
            }
            if done {
                return true;
            }
        }
    }

    /// Sends the entries that pass the filter, then a `layer` event for each derived
    /// collection they change.
    fn forward(&mut self, entries: Vec<&FeedEntry>) -> bool {
        let Some(last) = entries.last().map(|e| e.change.seq) else {
            return true;
        };
        let snap = self.state.atlas.snapshot().view(self.exact);
        let mut touched = Vec::new();
        for e in entries {
            if !touched.contains(&e.change.kind) {
                touched.push(e.change.kind);
            }
            let e = changes::for_caller(e.clone(), self.exact);
            if !self.filter.passes(&e) {
                continue;
            }
            let entry = changes::entry(e, &snap, &self.base);
            let Ok(data) = sse::Data::new_json(&entry) else {
                continue;
            };
            let event = data.event(entry.op).id(entry.seq.to_string());
            if !self.send(event) {
                return false;
            }
        }
        self.last = last;
        for kind in touched {
            for layer in derived_layers(kind) {
                let data = serde_json::json!({"collection": layer, "seq": last});
                if !self.send(sse::Data::new(data.to_string()).event("layer")) {
                    return false;
                }
            }
        }
        true
    }

    /// Queues an event; false when the client is gone or has let the queue fill (it is
    /// dropped: a slow client never holds anyone up).
    fn send(&self, data: sse::Data) -> bool {
        self.tx.try_send(sse::Event::Data(data)).is_ok()
    }
}

/// The derived collections a change of `kind` may change.
fn derived_layers(kind: RecordKind) -> &'static [&'static str] {
    match kind {
        RecordKind::Incidents => &["clash-zones"],
        RecordKind::DisplacementReports => &["displacement-flows", "displacement-origins"],
    }
}
