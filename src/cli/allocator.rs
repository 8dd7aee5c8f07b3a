//! The program's allocator: the system's (glibc's) until an offline sweep
//! starts, mimalloc from then on.
//!
//! A sweep allocates and frees many small buffers for every listing, and
//! glibc's `malloc` and `free` took about a fifth of its CPU time; with
//! mimalloc the 64 MiB benchmark sweep runs about 20 % faster. Capture is
//! another matter: under mimalloc it was slower and its peak memory twice
//! as high (docs/performance.md, "mimalloc for the offline sweep"), so
//! every other command keeps the system allocator.
//!
//! Memory allocated before the switch is freed after it, so each pointer
//! goes back to the allocator that owns it: mimalloc's when
//! `mi_is_in_heap_region` claims it, the system's otherwise. Before the
//! switch nothing is in mimalloc's memory and the check is skipped.
//!
//! Why that test is sound, read in the mimalloc v3 sources that
//! `libmimalloc-sys` 0.1.49 builds by default (`src/page-map.c`,
//! `src/arena.c`): `mi_is_in_heap_region` looks the address up in
//! mimalloc's page map (on x86-64 the two-level one), the same map
//! `mi_free` uses to find a block's page, so it claims every block
//! mimalloc hands out. A page enters the map
//! while its memory is mapped by mimalloc and leaves it before that memory
//! goes back to the system, so no address glibc hands out is ever claimed.
//! A change of mimalloc version (the crate's `v2` feature, or a new major
//! version) needs this reading done again.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};

use libmimalloc_sys as mi;

/// Whether new memory comes from mimalloc. Set once, never cleared.
static MIMALLOC: AtomicBool = AtomicBool::new(false);

/// From now on, new memory comes from mimalloc.
pub fn use_mimalloc() {
    MIMALLOC.store(true, Ordering::Release);
}

/// The system allocator, or mimalloc once [`use_mimalloc`] was called.
pub struct Allocator;

fn from_mimalloc(ptr: *mut u8) -> bool {
    MIMALLOC.load(Ordering::Acquire) && unsafe { mi::mi_is_in_heap_region(ptr as *const c_void) }
}

// SAFETY: every block is freed or resized by the allocator that made it
// (`from_mimalloc`), and each of the two meets `GlobalAlloc`'s contract for
// the layouts it is given. mimalloc's aligned calls honour any alignment.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Acquire) {
            unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        } else {
            unsafe { System.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if MIMALLOC.load(Ordering::Acquire) {
            unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        } else {
            unsafe { System.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if from_mimalloc(ptr) {
            unsafe { mi::mi_free(ptr as *mut c_void) }
        } else {
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if from_mimalloc(ptr) {
            unsafe {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        } else {
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks made before the switch are grown and freed by the system
    /// allocator after it, new blocks come from mimalloc, and contents
    /// survive every move. (This test binary has [`Allocator`] as its
    /// global allocator too, through `main.rs`.)
    #[test]
    fn blocks_go_back_to_the_allocator_that_made_them() {
        let before: Vec<u64> = (0..1000).collect();
        let mut grown: Vec<u8> = vec![7; 100];
        // Large enough for glibc to map it on its own.
        let big: Vec<u8> = vec![1; 4 << 20];
        use_mimalloc();
        assert!(!from_mimalloc(before.as_ptr() as *mut u8));
        assert!(!from_mimalloc(big.as_ptr() as *mut u8));
        grown.extend(std::iter::repeat_n(9, 100_000));
        assert!(
            !from_mimalloc(grown.as_ptr() as *mut u8),
            "a system block stays with the system when it grows"
        );
        assert_eq!((grown[99], grown[100], grown.len()), (7, 9, 100_100));
        let mut after: Vec<u64> = (0..1000).collect();
        assert!(from_mimalloc(after.as_mut_ptr() as *mut u8));
        after.extend(0..100_000);
        assert!(from_mimalloc(after.as_mut_ptr() as *mut u8));
        assert_eq!((after[999], after[1000], after.len()), (999, 0, 101_000));
        let aligned = Layout::from_size_align(3000, 4096).unwrap();
        let p = unsafe { Allocator.alloc_zeroed(aligned) };
        assert!(!p.is_null() && (p as usize).is_multiple_of(4096) && from_mimalloc(p));
        assert!(
            unsafe { std::slice::from_raw_parts(p, 3000) }
                .iter()
                .all(|&b| b == 0)
        );
        unsafe { Allocator.dealloc(p, aligned) };
        // Huge blocks and large alignments, which mimalloc serves from
        // pages of their own, are claimed too and survive a resize.
        for align in [1 << 16, 1 << 20, 1 << 22, 1 << 26] {
            for size in [100, 40 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = unsafe { Allocator.alloc(layout) };
                assert!(!p.is_null() && (p as usize).is_multiple_of(align));
                assert!(from_mimalloc(p), "size {size}, alignment {align}");
                unsafe { p.write_bytes(3, size) };
                let q = unsafe { Allocator.realloc(p, layout, size * 2) };
                assert!(!q.is_null() && (q as usize).is_multiple_of(align) && from_mimalloc(q));
                assert_eq!(unsafe { (*q, *q.add(size - 1)) }, (3, 3));
                unsafe { Allocator.dealloc(q, Layout::from_size_align(size * 2, align).unwrap()) };
                let z = unsafe { Allocator.alloc_zeroed(layout) };
                assert!(!z.is_null() && (z as usize).is_multiple_of(align) && from_mimalloc(z));
                let zeroed = unsafe { std::slice::from_raw_parts(z, size) };
                assert!(
                    zeroed.iter().all(|&b| b == 0),
                    "size {size}, alignment {align}"
                );
                unsafe { Allocator.dealloc(z, layout) };
            }
        }
        // A system block grown after the switch, past glibc's own mapping
        // threshold, is still the system's.
        let mut big = big;
        big.resize(96 << 20, 2);
        assert!(!from_mimalloc(big.as_ptr() as *mut u8));
        assert_eq!((big[(4 << 20) - 1], big[4 << 20]), (1, 2));
        big.truncate(4 << 20);
        assert_eq!(before.iter().sum::<u64>(), 499_500);
        assert!(big.iter().all(|&b| b == 1));
        drop((before, grown, big, after));
    }
}
