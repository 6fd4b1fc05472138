//! Bulk import: chunks of records turned into drafts and placed on every core, stored in
//! order in one transaction, without building a snapshot (a server builds its own when it
//! opens the store). All or nothing: any problem rolls the whole import back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use chrono::Utc;

use super::placement;
use crate::gazetteer::Gazetteer;
use crate::model::{FieldError, IncidentDraft};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Every problem found (the import went on reading to report them all).
    #[error("{} problem(s); nothing imported", .0.len())]
    Rejected(Vec<String>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Drafts of one chunk, each with the name errors give it (`line 12`, `feature 3`).
pub type Drafts = Result<Vec<(String, IncidentDraft)>, Vec<FieldError>>;

/// Imports every chunk; `drafts_of` runs on worker threads. Returns how many incidents were
/// stored; `progress(n)` is called as they are.
pub fn import<C: Send>(
    store: &mut Store,
    gazetteer: &Gazetteer,
    chunks: impl Iterator<Item = C> + Send,
    drafts_of: impl Fn(C) -> Drafts + Sync,
    progress: impl Fn(usize),
) -> Result<usize, ImportError> {
    store.prepare_bulk_load()?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let now = Utc::now();
    let mut problems: Vec<String> = Vec::new();
    // Bounded queues keep memory flat however large the input.
    let (job_tx, job_rx) = sync_channel::<(usize, C)>(workers * 2);
    let job_rx = Mutex::new(job_rx);
    let abandoned = AtomicBool::new(false);
    let outcome = std::thread::scope(|scope| {
        let (done_tx, done_rx) = sync_channel(workers * 2);
        scope.spawn(move || {
            for job in chunks.enumerate() {
                if job_tx.send(job).is_err() {
                    break;
                }
            }
        });
        for _ in 0..workers {
            let (job_rx, done_tx, drafts_of) = (&job_rx, done_tx.clone(), &drafts_of);
            let abandoned = &abandoned;
            scope.spawn(move || loop {
                // The receiver is only ever locked to take one job; a poisoned lock means a
                // sibling panicked, and scope() re-raises that panic.
                let Ok(job) = job_rx.lock().map(|rx| rx.recv()) else {
                    break;
                };
                let Ok((n, chunk)) = job else { break };
                if abandoned.load(Ordering::Relaxed) {
                    // The writer stopped: keep draining so the reader thread can finish.
                    continue;
                }
                let placed = drafts_of(chunk)
                    .map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>())
                    .and_then(|drafts| {
                        drafts
                            .iter()
                            .map(|(at, d)| placement::place(gazetteer, d, at, now))
                            .collect::<Result<Vec<_>, _>>()
                            .map_err(|e| vec![e.error.to_string()])
                    });
                if done_tx.send((n, placed)).is_err() {
                    abandoned.store(true, Ordering::Relaxed);
                }
            });
        }
        drop(done_tx);
        // Stored incidents are freed on a thread of their own: the writer is the import's
        // critical path, and freeing a million records showed as 5% of its time.
        let (freed_tx, freed_rx) = sync_channel::<Vec<crate::model::Incident>>(workers * 2);
        scope.spawn(move || freed_rx.into_iter().for_each(drop));
        store.write(|w| {
            // Chunks finish out of order; store them in input order (ids follow the file).
            let mut waiting = BTreeMap::new();
            let mut next = 0;
            let mut stored = 0;
            for (n, placed) in done_rx {
                waiting.insert(n, placed);
                while let Some(placed) = waiting.remove(&next) {
                    next += 1;
                    match placed {
                        Ok(mut incidents) if problems.is_empty() => {
                            w.insert_incidents(&mut incidents)?;
                            stored += incidents.len();
                            progress(stored);
                            // The freeing thread ends only with the scope: it is there.
                            let _ = freed_tx.send(incidents);
                        }
                        Ok(_) => {}
                        Err(es) => problems.extend(es),
                    }
                }
            }
            if problems.is_empty() {
                Ok(stored)
            } else {
                // Returning an error rolls the transaction back.
                Err(StoreError::Commit("the import was rejected".into()))
            }
        })
    });
    match outcome {
        Ok(n) => Ok(n.value),
        Err(_) if !problems.is_empty() => Err(ImportError::Rejected(problems)),
        Err(e) => Err(e.into()),
    }
}
