#include "kernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void matryoshka_tune_allocator(void) {
#if defined(__GLIBC__)
    // Blocks up to 1 GiB come from the heap, and the heap's free top is never returned to the system: a block
    // buffer freed at the end of one step is the next step's buffer, without 25 MB of fresh page faults each time.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
#endif
}

void matryoshka_default_allocator(void) {
#if defined(__GLIBC__)
    // glibc's own thresholds (128 KiB): large blocks are mapped and unmapped, and the heap's free top is returned.
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif
}
