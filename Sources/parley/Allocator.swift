import CMalloc

/// How the C allocator treats freed memory, set once when the process starts.
///
/// A pricing or ADMM step is one warm CLP solve of a few hundred rows, and CLP allocates and
/// frees its work arrays, row copy and factorization on every solve (its C interface has no
/// switch to keep them). With glibc's defaults the freed top of the heap is handed back to the
/// kernel as soon as it exceeds 128 KiB (`M_TRIM_THRESHOLD`) and large arrays get their own
/// mappings, so each solve faults the same pages in again: a quarter of a warm solve's time was
/// kernel time (page faults, `clear_page`; perf over a C program repeating one pds-02 partner's
/// solve with CLP's C interface). Keeping up to 64 MiB of freed memory, and serving
/// arrays of up to 32 MiB from the heap, removes that: one partner's pricing solves replayed
/// from a pds-02 round (23 solves, 11 simplex iterations each on average, one thread) took
/// 0.55 ms each with the defaults and 0.30 ms with these settings. In a whole in-process pds-02
/// round, where two threads solve at once, the gain is smaller: CLP's CPU 0.149 → 0.140 s and
/// the round 0.111 → 0.105 s (means of six interleaved pairs). The price is that a process
/// keeps up to 64 MiB it no longer uses instead of returning it; its peak is unchanged.
enum Allocator {
    static let retainedBytes: Int32 = 64 << 20
    static let largestHeapAllocation: Int32 = 32 << 20

    static func keepFreedMemory() {
        #if os(Linux)
        _ = mallopt(M_TRIM_THRESHOLD, retainedBytes)
        _ = mallopt(M_MMAP_THRESHOLD, largestHeapAllocation)
        #endif
    }
}
