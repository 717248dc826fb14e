import _CKernels

/// Process-wide memory allocation policy for the executables (not set by the libraries themselves).
public enum Allocator {
    /// Keeps freed large blocks in the process instead of returning them to the system (glibc `mallopt`; a no-op
    /// elsewhere). Streaming passes allocate the same block-sized buffers over and over; without this each one
    /// page-faults fresh memory, which measured 3–4 times slower for elementwise steps and serialised the workers.
    /// Peak resident memory is unchanged; memory is given back when the process ends.
    public static func keepFreedMemory() {
        matryoshka_tune_allocator()
    }

    /// Gives freed large blocks back to the system again (glibc's default thresholds): for a long-running server,
    /// whose memory after a burst of large requests should fall back.
    public static func returnFreedMemory() {
        matryoshka_default_allocator()
    }
}
