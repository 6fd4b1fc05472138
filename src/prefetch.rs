//! Prefetch hints: loads started early so that records scattered over memory arrive while
//! the processor works on others (a page of features from a million incidents is mostly
//! cache misses).

/// Asks for every cache line of the value at `p` to be loaded. Only a hint: it reads and
/// changes nothing, and does nothing on processors without the instruction.
#[inline(always)]
pub fn lines<T>(p: *const T) {
    range(p.cast(), std::mem::size_of::<T>());
}

/// The same for the bytes of a slice (the first 512: text beyond that is rare).
#[inline(always)]
pub fn bytes(b: &[u8]) {
    range(b.as_ptr(), b.len().min(512));
}

#[inline(always)]
fn range(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for offset in (0..len).step_by(64) {
        // SAFETY: a prefetch never faults and has no effect a program can observe, whatever
        // the address; `wrapping_add` keeps the pointer arithmetic defined.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                p.cast::<i8>().wrapping_add(offset),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}
