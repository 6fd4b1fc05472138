//! FlatGeobuf downloads, within the bounds of `export_limits`. On a blocking thread, the
//! features are encoded first (the writer keeps them in a temporary file, deleted when it is
//! dropped, and builds the packed index in memory), then the file is written straight into
//! the response through a small channel: no second copy on disk, and a client that goes away
//! stops the writer at its next chunk, which drops the temporary file and the permit.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use actix_web::{HttpResponse, HttpResponseBuilder};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot};

use super::export::{plain_feature, Export, CHUNK_BYTES};
use super::export_limits::{release_free_memory, ExportLimits, ExportPermit};
use super::problem::ApiError;
use crate::io::fgb;
use crate::io::plain_feature::Schema;

/// Chunks waiting for the connection: how far the writer may run ahead of the client.
const QUEUED_CHUNKS: usize = 4;
/// How often a full channel is tried again meanwhile (this runs on a blocking thread).
const STALL_POLL: Duration = Duration::from_millis(20);

type Chunk = io::Result<Bytes>;

/// Answers with the FlatGeobuf file of `export`, or a 503 if the bounds are reached.
pub async fn respond(
    mut res: HttpResponseBuilder,
    export: Export,
    limits: &Arc<ExportLimits>,
) -> Result<HttpResponse, ApiError> {
    let mut permit = limits.start()?;
    // Every feature takes some room: a download that cannot have even that is turned away
    // before the pass that sizes it.
    let at_least = fgb::FEATURE_BYTES_MIN.saturating_mul(export.hits.len() as u64);
    permit.reserve_temp(at_least)?;
    let (ready_tx, ready_rx) = oneshot::channel();
    let (tx, rx) = mpsc::channel(QUEUED_CHUNKS);
    // Set once the whole file has been queued: a channel closed without it is a failure.
    let finished = Arc::new(AtomicBool::new(false));
    let writer_finished = finished.clone();
    // Not awaited: the thread goes on writing while the response streams.
    drop(actix_web::rt::task::spawn_blocking(move || {
        write_download(export, permit, ready_tx, tx, &writer_finished);
        release_free_memory();
    }));
    match ready_rx.await {
        Ok(Ok(())) => Ok(res.streaming(futures_util::stream::unfold(
            (rx, finished, false),
            |(mut rx, finished, failed)| async move {
                if failed {
                    return None;
                }
                match rx.recv().await {
                    Some(chunk) => Some((chunk, (rx, finished, false))),
                    None if finished.load(Ordering::Acquire) => None,
                    // The writer stopped without finishing (a stalled client, an error it
                    // could not queue): end with an error, so that the connection is broken
                    // off instead of closing the body as if the file were whole.
                    None => Some((
                        Err(io::Error::other(
                            "the FlatGeobuf download stopped before its end",
                        )),
                        (rx, finished, true),
                    )),
                }
            },
        ))),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ApiError::Internal(
            "the FlatGeobuf writer stopped before the file began".into(),
        )),
    }
}

/// Encodes the features, says whether that worked (the status line depends on it), then
/// writes the file into `tx` until done or until the client goes away.
fn write_download(
    export: Export,
    mut permit: ExportPermit,
    ready: oneshot::Sender<Result<(), ApiError>>,
    tx: mpsc::Sender<Chunk>,
    finished: &AtomicBool,
) {
    let layer = match encode(&export, &mut permit) {
        Ok(layer) => layer,
        Err(e) => {
            // Give the share back before the 503 goes out, so that a request sent on
            // receiving it finds the space free.
            drop(permit);
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        // The request was dropped before its answer began.
        return;
    }
    let mut out = ChannelWriter {
        tx,
        buf: Vec::with_capacity(CHUNK_BYTES),
        stall_limit: permit.limits.stall_limit,
    };
    let written = layer
        .write(&mut out)
        .and_then(|()| out.send_buffered().map_err(|e| e.to_string()));
    match written {
        Ok(()) => finished.store(true, Ordering::Release),
        Err(_) if out.tx.is_closed() => {
            tracing::debug!("FlatGeobuf download stopped: the client went away");
        }
        Err(e) => {
            tracing::error!(error = %e, "FlatGeobuf download stopped");
            // `finished` stays false: the response stream breaks the connection off once it
            // has passed on what is queued. Never wait here: a stalled client's channel
            // stays full.
            let _ = out.tx.try_send(Err(io::Error::other(e)));
        }
    }
    // The layer (its temporary file) is gone; `permit` goes last, giving its share back.
}

/// The layer of `export`, after reserving an upper bound of its temporary space.
fn encode(export: &Export, permit: &mut ExportPermit) -> Result<fgb::Layer, ApiError> {
    let source = export.source.as_ref();
    // One pass for the column types (the header precedes the features) and the size.
    let mut schema = Schema::default();
    let mut temp_bytes: u64 = 0;
    for hit in &export.hits {
        let feature = plain_feature(source, hit);
        temp_bytes = temp_bytes.saturating_add(fgb::feature_bytes_bound(&feature));
        schema.add(&feature);
    }
    permit.reserve_temp(temp_bytes)?;
    let dataset = fgb::Dataset {
        name: &export.name,
        title: &export.title,
        description: &export.description,
        geometry: export.geometry,
    };
    let features = export.hits.iter().map(|hit| Ok(plain_feature(source, hit)));
    fgb::layer(&dataset, &schema, features).map_err(ApiError::Internal)
}

/// Bytes written are sent on as chunks of about `CHUNK_BYTES`, waiting while the connection
/// is behind; a closed channel (the client went away) is a broken pipe.
struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
    stall_limit: Duration,
}

impl ChannelWriter {
    fn send_buffered(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        let mut pending = Ok(Bytes::from(chunk));
        // A client that stops reading would hold its place (and its temporary file) for ever:
        // past `stall_limit` without taking a chunk it is dropped, as one that went away.
        let stalled_since = Instant::now();
        loop {
            match self.tx.try_send(pending) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the client went away",
                    ))
                }
                Err(TrySendError::Full(chunk)) if stalled_since.elapsed() < self.stall_limit => {
                    pending = chunk;
                    std::thread::sleep(STALL_POLL);
                }
                Err(TrySendError::Full(_)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("the client read nothing for {:?}", self.stall_limit),
                    ))
                }
            }
        }
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send_buffered()?;
        }
        Ok(data.len())
    }

    /// Chunks go out when full and at the end: a flush would only make small ones.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
