//! The one thread that runs writes: handlers hand it closures through a channel and await
//! the answer, instead of each write taking a thread of the blocking pool to wait for the
//! writer lock (sixteen writers meant sixteen threads woken and put to sleep per commit).
//! Creates queue themselves before they are handed over, so the first one the thread runs
//! commits every create queued by then: one transaction, one fsync, one snapshot published.

use std::sync::mpsc::{channel, Sender};

type Job = Box<dyn FnOnce() + Send>;

pub struct WriterThread {
    /// `Sender` is `Sync`: every worker sends through this one.
    jobs: Sender<Job>,
}

/// The writer thread is gone (it cannot be, short of the process ending).
#[derive(Debug, thiserror::Error)]
#[error("the writer thread has stopped")]
pub struct WriterGone;

impl WriterThread {
    pub fn start() -> std::io::Result<WriterThread> {
        let (tx, rx) = channel::<Job>();
        std::thread::Builder::new()
            .name("atlas-writer".into())
            .spawn(move || {
                lower_priority();
                for job in rx {
                    // A job that panics loses only its own answer (its caller sees
                    // `WriterGone`); the thread goes on with the next.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })?;
        Ok(WriterThread { jobs: tx })
    }

    /// Runs `f` on the writer thread; the answer arrives when it has run.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WriterGone> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The caller may have gone (its client hung up): the write stands regardless.
            let _ = tx.send(f());
        });
        self.jobs.send(job).map_err(|_| WriterGone)?;
        rx.await.map_err(|_| WriterGone)
    }
}

/// Writes give way to reads when the processors are busy: the thread runs at nice 10 (a
/// tenth of a reader's share of a contended core; an idle machine runs it at full speed).
/// Commits then gather more creates each, so writes lose less than readers gain (1M
/// incidents, 16 POST connections beside 16 reading: reads held 0.72 of their rate at
/// equal priority, 0.79 at nice 10, with about as many writes per second).
fn lower_priority() {
    use thread_priority::{set_current_thread_priority, ThreadPriority, ThreadPriorityValue};
    // The crate maps 0..=99 onto nice 19..=-20: 22 is nice 10.
    let priority = ThreadPriorityValue::try_from(22u8).map(ThreadPriority::Crossplatform);
    if let Err(e) = priority
        .map_err(|e| e.to_string())
        .and_then(|p| set_current_thread_priority(p).map_err(|e| e.to_string()))
    {
        // Only a little less fair to readers: go on at normal priority.
        tracing::warn!(error = %e, "cannot lower the writer thread's priority");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_run_in_order_and_a_panic_loses_only_its_answer() {
        let writer = WriterThread::start().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            for n in 0..5 {
                let order = order.clone();
                writer
                    .run(move || order.lock().unwrap().push(n))
                    .await
                    .unwrap();
            }
            assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
            let gone = writer.run(|| -> u8 { panic!("a job that fails") }).await;
            assert!(gone.is_err());
            assert_eq!(writer.run(|| 7).await.unwrap(), 7);
            // The thread runs at nice 10 (field 19 of its stat line, after the name's `)`).
            let nice = writer
                .run(|| {
                    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
                    let after_name = stat.rsplit_once(')').unwrap().1.to_owned();
                    after_name.split_whitespace().nth(16).unwrap().to_owned()
                })
                .await
                .unwrap();
            assert_eq!(nice, "10");
        });
    }
}
