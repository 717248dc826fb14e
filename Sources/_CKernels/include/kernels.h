#ifndef MATRYOSHKA_KERNELS_H
#define MATRYOSHKA_KERNELS_H

#include <stddef.h>

/// The index of the first of `count` scores that is strictly greater than `threshold`, or `count` when
/// none is. Scans 32 floats per step with AVX where the compiler targets it (one compare per 32 scores
/// that cannot enter a top-k list), plain C elsewhere. NaN is never greater.
size_t matryoshka_first_above(const float *scores, size_t count, float threshold);

/// Classifies a row of `count` floats by their bits: 0 if every value is finite and one is non-zero, 1 if a value
/// is NaN or infinite (exponent bits all ones), 2 if all are (signed) zeros. Integer OR reductions, which the
/// compiler vectorises (a float loop with early exits does not).
int matryoshka_row_state(const float *row, size_t count);

/// Records a temporary file being written for `destination_path`: on SIGINT or SIGTERM (when their disposition
/// is the default) every recorded temporary is unlinked, one line naming the destinations goes to standard
/// error, and the process exits with 128 + the signal (130, 143). Returns the slot, or -1 when none is free.
int matryoshka_temporary_register(const char *temporary_path, const char *destination_path);

/// Forgets a slot (the temporary was renamed into place or removed).
void matryoshka_temporary_unregister(int slot);

#endif

#ifndef MATRYOSHKA_KERNELS_L1_H
#define MATRYOSHKA_KERNELS_L1_H
/// Writes `gradient[i] = weight * sign(values[i])` (0 at 0) and returns `Σ |values[i]|` (unweighted),
/// accumulated in eight float lanes and summed in double.
double matryoshka_l1_sign(const float *values, float *gradient, size_t count, float weight);
/// Records a temporary file being written for `destination_path`: on SIGINT or SIGTERM (when their disposition
/// is the default) every recorded temporary is unlinked, one line naming the destinations goes to standard
/// error, and the process exits with 128 + the signal (130, 143). Returns the slot, or -1 when none is free.
int matryoshka_temporary_register(const char *temporary_path, const char *destination_path);

/// Forgets a slot (the temporary was renamed into place or removed).
void matryoshka_temporary_unregister(int slot);

#endif

#ifndef MATRYOSHKA_KERNELS_SHA256_H
#define MATRYOSHKA_KERNELS_SHA256_H
#include <stdint.h>
/// SHA-256 compression of `blocks` whole 64-byte blocks into the eight-word `state` (FIPS 180-4), with the CPU's
/// SHA extensions when `allow_extensions` is non-zero and the CPU has them, a portable loop otherwise.
void matryoshka_sha256_blocks(uint32_t *state, const uint8_t *data, size_t blocks, int allow_extensions);
/// 1 when this CPU has the SHA extensions (x86-64 only), else 0.
int matryoshka_sha256_uses_extensions(void);
/// Records a temporary file being written for `destination_path`: on SIGINT or SIGTERM (when their disposition
/// is the default) every recorded temporary is unlinked, one line naming the destinations goes to standard
/// error, and the process exits with 128 + the signal (130, 143). Returns the slot, or -1 when none is free.
int matryoshka_temporary_register(const char *temporary_path, const char *destination_path);

/// Forgets a slot (the temporary was renamed into place or removed).
void matryoshka_temporary_unregister(int slot);

#endif

#ifndef MATRYOSHKA_KERNELS_HAMMING_H
#define MATRYOSHKA_KERNELS_HAMMING_H
#include <stdint.h>
/// Hamming distances from one packed binary code to `count` codes of `bytes` bytes each, stored one after another:
/// `distances[i] = popcount(query XOR codes[i])`, 64 bits at a time (the `popcnt` instruction), then the tail bytes.
void matryoshka_hamming_distances(const uint8_t *query, const uint8_t *codes, long count, long bytes,
                                  uint16_t *distances);
/// The `k` codes nearest to each of `nq` query codes by Hamming distance, over `count` codes of `bytes` bytes whose
/// corpus indices are `first_index ..< first_index + count`: `indices` and `distances` (`nq × k`) ascending by
/// (distance, index), so ties go to the earlier code; slots past `count` get index -1 and distance INT32_MAX.
/// The codes are scanned in tiles that stay in cache while every query meets them (a max-heap of `k` per query,
/// entered only by a strictly smaller distance), so the corpus is read from memory once per call, not per query.
/// int8 codes back to values: `out[i·m + j] = low[j] + width[j] · (codes[i·m + j] XOR 0x80) / 255` for `rows` rows
/// of `m` two's-complement bytes (the level is the byte + 128), the same float operations in the same order as the
/// Swift calibration's `value`, so the results are bit-identical; vectorised.
void matryoshka_decode_int8(const uint8_t *codes, long rows, long m, const float *low, const float *width, float *out);
/// The cosine of one float query `q` (`m` values, unit length) and each of `rows` int8 codes of `m` bytes, decoded on
/// the fly as `low[j] + step[j] · level` (`level` = byte XOR 0x80, `step = (high − low) / 255`):
/// `scores[i] = Σ q_j x_ij / ‖x_i‖` (0 for a zero row). One pass over the codes, no decoded copy (AVX2 when built
/// for it).
void matryoshka_int8_cosines(const float *q, const uint8_t *codes, long rows, long m, const float *low, const float *step,
                             float *scores);
void matryoshka_hamming_top_k(const uint8_t *queries, long nq, const uint8_t *codes, long count, long bytes,
                              long first_index, long k, int32_t *indices, int32_t *distances);
#endif

#ifndef MATRYOSHKA_KERNELS_ALLOCATOR_H
#define MATRYOSHKA_KERNELS_ALLOCATOR_H
/// Keeps freed large blocks in the process (glibc `mallopt`: no `mmap` per large allocation, no trimming), so
/// that the many same-sized block buffers of a streaming pass reuse memory instead of page-faulting fresh pages
/// each time; a no-op where the C library is not glibc. Called once by the executables.
void matryoshka_tune_allocator(void);

/// Puts glibc's default allocation thresholds back: freed large blocks go back to the system (a no-op elsewhere).
void matryoshka_default_allocator(void);
/// Records a temporary file being written for `destination_path`: on SIGINT or SIGTERM (when their disposition
/// is the default) every recorded temporary is unlinked, one line naming the destinations goes to standard
/// error, and the process exits with 128 + the signal (130, 143). Returns the slot, or -1 when none is free.
int matryoshka_temporary_register(const char *temporary_path, const char *destination_path);

/// Forgets a slot (the temporary was renamed into place or removed).
void matryoshka_temporary_unregister(int slot);

#endif
