//! A count of inner-loop steps, kept only in unit tests: it lets a test tell linear from
//! quadratic growth by counting work instead of timing it (timings are noisy on a shared
//! machine). Every loop whose length depends on the text calls `step`; outside tests it
//! compiles to nothing.

#[cfg(test)]
thread_local! {
    static STEPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `n` steps of work.
#[inline(always)]
pub fn step(n: usize) {
    #[cfg(test)]
    STEPS.with(|s| s.set(s.get() + n as u64));
    #[cfg(not(test))]
    let _ = n;
}

/// The steps counted on this thread since the last call.
#[cfg(test)]
pub fn take() -> u64 {
    STEPS.with(|s| s.replace(0))
}
