#include "kernels.h"
#include <stdint.h>
#include <string.h>
#include <math.h>

#if defined(__AVX__)
#include <immintrin.h>
#endif

// Swift's generic SIMD comparisons and reductions (`.>`, `pointwiseMax`, `max()`) compile to
// element-by-element code through the stack, 40x slower than this loop; hence a C kernel.
size_t matryoshka_first_above(const float *scores, size_t count, float threshold) {
    size_t i = 0;
#if defined(__AVX__)
    const __m256 t = _mm256_set1_ps(threshold);
    for (; i + 32 <= count; i += 32) {
        __m256 a = _mm256_max_ps(_mm256_loadu_ps(scores + i), _mm256_loadu_ps(scores + i + 8));
        __m256 b = _mm256_max_ps(_mm256_loadu_ps(scores + i + 16), _mm256_loadu_ps(scores + i + 24));
        if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_max_ps(a, b), t, _CMP_GT_OQ)) != 0) break;
    }
#endif
    for (; i < count; i++) {
        if (scores[i] > threshold) return i;
    }
    return count;
}

double matryoshka_l1_sign(const float *values, float *gradient, size_t count, float weight) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        for (int l = 0; l < 8; l++) {
            float v = values[i + l];
            lanes[l] += v < 0 ? -v : v;
            gradient[i + l] = v > 0 ? weight : (v < 0 ? -weight : 0.0f);
        }
    }
    double total = 0;
    for (int l = 0; l < 8; l++) total += lanes[l];
    for (; i < count; i++) {
        float v = values[i];
        total += v < 0 ? -v : v;
        gradient[i] = v > 0 ? weight : (v < 0 ? -weight : 0.0f);
    }
    return total;
}

int matryoshka_row_state(const float *row, size_t count) {
    const uint32_t *bits = (const uint32_t *)row;
    uint32_t nonfinite = 0, magnitude = 0;
    for (size_t i = 0; i < count; i++) {
        nonfinite |= ((bits[i] & 0x7f800000u) == 0x7f800000u);
        magnitude |= bits[i] & 0x7fffffffu;
    }
    return nonfinite ? 1 : (magnitude == 0 ? 2 : 0);
}

void matryoshka_hamming_distances(const uint8_t *query, const uint8_t *codes, long count, long bytes,
                                  uint16_t *distances) {
    long words = bytes / 8;
    uint64_t q[64];
    if (words <= 64) {
        memcpy(q, query, (size_t)words * 8);
    }
    if (words == 4) {
        /* 256-bit codes, the common case, unrolled. */
        for (long i = 0; i < count; i++) {
            const uint8_t *c = codes + i * bytes;
            uint64_t c0, c1, c2, c3;
            memcpy(&c0, c, 8); memcpy(&c1, c + 8, 8); memcpy(&c2, c + 16, 8); memcpy(&c3, c + 24, 8);
            distances[i] = (uint16_t)(__builtin_popcountll(c0 ^ q[0]) + __builtin_popcountll(c1 ^ q[1])
                                      + __builtin_popcountll(c2 ^ q[2]) + __builtin_popcountll(c3 ^ q[3]));
        }
        return;
    }
    for (long i = 0; i < count; i++) {
        const uint8_t *c = codes + i * bytes;
        long total = 0;
        long w = 0;
        for (; w < words; w++) {
            uint64_t a, b;
            memcpy(&a, c + 8 * w, 8);
            if (words <= 64) { b = q[w]; } else { memcpy(&b, query + 8 * w, 8); }
            total += __builtin_popcountll(a ^ b);
        }
        for (long t = words * 8; t < bytes; t++) total += __builtin_popcount((unsigned)(c[t] ^ query[t]));
        distances[i] = (uint16_t)total;
    }
}

void matryoshka_decode_int8(const uint8_t *codes, long rows, long m, const float *low, const float *width, float *out) {
    for (long i = 0; i < rows; i++) {
        const uint8_t *row = codes + i * m;
        float *target = out + i * m;
        for (long j = 0; j < m; j++) target[j] = low[j] + width[j] * (float)(row[j] ^ 0x80) / 255.0f;
    }
}

void matryoshka_int8_cosines(const float *q, const uint8_t *codes, long rows, long m, const float *low, const float *step,
                             float *scores) {
    for (long i = 0; i < rows; i++) {
        const uint8_t *row = codes + i * m;
        float dot = 0, squares = 0;
        long j = 0;
#if defined(__AVX2__) && defined(__FMA__)
        /* Two accumulators per sum (16 coordinates a step) halve the FMA chains' latency per row. */
        __m256 d0 = _mm256_setzero_ps(), d1 = _mm256_setzero_ps(), s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        const __m128i flip = _mm_set1_epi8((char)0x80);
        for (; j + 16 <= m; j += 16) {
            __m128i bytes = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(row + j)), flip);
            __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
            __m256 b = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
            __m256 xa = _mm256_fmadd_ps(_mm256_loadu_ps(step + j), a, _mm256_loadu_ps(low + j));
            __m256 xb = _mm256_fmadd_ps(_mm256_loadu_ps(step + j + 8), b, _mm256_loadu_ps(low + j + 8));
            d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), xa, d0);
            d1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j + 8), xb, d1);
            s0 = _mm256_fmadd_ps(xa, xa, s0);
            s1 = _mm256_fmadd_ps(xb, xb, s1);
        }
        for (; j + 8 <= m; j += 8) {
            __m128i bytes = _mm_xor_si128(_mm_loadl_epi64((const __m128i *)(row + j)), flip);
            __m256 a = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
            __m256 xa = _mm256_fmadd_ps(_mm256_loadu_ps(step + j), a, _mm256_loadu_ps(low + j));
            d0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + j), xa, d0);
            s0 = _mm256_fmadd_ps(xa, xa, s0);
        }
        /* Both sums reduced together: hadd pairs them lane-wise, then the two halves and one more hadd. */
        __m256 t = _mm256_hadd_ps(_mm256_add_ps(d0, d1), _mm256_add_ps(s0, s1));
        __m128 u = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        u = _mm_hadd_ps(u, u);
        dot = _mm_cvtss_f32(u);
        squares = _mm_cvtss_f32(_mm_shuffle_ps(u, u, 1));
#endif
        for (; j < m; j++) {
            float x = low[j] + step[j] * (float)(row[j] ^ 0x80);
            dot += q[j] * x;
            squares += x * x;
        }
        scores[i] = squares > 0 ? dot / sqrtf(squares) : 0;
    }
}

/* A max-heap of (distance, index) pairs, worst at the root: larger distance, or equal distance and larger index. */
static inline int hamming_worse(int32_t da, int32_t ia, int32_t db, int32_t ib) {
    return da > db || (da == db && ia > ib);
}

static void hamming_sift_down(int32_t *d, int32_t *ix, long k, long at) {
    for (;;) {
        long left = 2 * at + 1, worst = at;
        if (left < k && hamming_worse(d[left], ix[left], d[worst], ix[worst])) worst = left;
        if (left + 1 < k && hamming_worse(d[left + 1], ix[left + 1], d[worst], ix[worst])) worst = left + 1;
        if (worst == at) return;
        int32_t td = d[at], ti = ix[at];
        d[at] = d[worst]; ix[at] = ix[worst];
        d[worst] = td; ix[worst] = ti;
        at = worst;
    }
}

static inline void hamming_offer(int32_t *d, int32_t *ix, long k, int32_t distance, int32_t index) {
    /* Indices arrive in increasing order, so an equal distance never displaces a kept code. */
    if (distance < d[0]) {
        d[0] = distance;
        ix[0] = index;
        hamming_sift_down(d, ix, k, 0);
    }
}

void matryoshka_hamming_top_k(const uint8_t *queries, long nq, const uint8_t *codes, long count, long bytes,
                              long first_index, long k, int32_t *indices, int32_t *distances) {
    if (k <= 0) return;
    for (long t = 0; t < nq * k; t++) { distances[t] = INT32_MAX; indices[t] = -1; }
    long words = bytes / 8;
    /* About 128 KiB of codes per tile: it stays in L2 while every query of the call scans it. */
    long tile = (128 * 1024) / (bytes > 0 ? bytes : 1);
    if (tile < 64) tile = 64;
    for (long c0 = 0; c0 < count; c0 += tile) {
        long c1 = c0 + tile < count ? c0 + tile : count;
        for (long q = 0; q < nq; q++) {
            const uint8_t *query = queries + q * bytes;
            int32_t *d = distances + q * k, *ix = indices + q * k;
            if (words == 4 && bytes == 32) {
                uint64_t q0, q1, q2, q3;
                memcpy(&q0, query, 8); memcpy(&q1, query + 8, 8); memcpy(&q2, query + 16, 8); memcpy(&q3, query + 24, 8);
                for (long i = c0; i < c1; i++) {
                    const uint8_t *c = codes + i * 32;
                    uint64_t a0, a1, a2, a3;
                    memcpy(&a0, c, 8); memcpy(&a1, c + 8, 8); memcpy(&a2, c + 16, 8); memcpy(&a3, c + 24, 8);
                    int32_t distance = __builtin_popcountll(a0 ^ q0) + __builtin_popcountll(a1 ^ q1)
                                     + __builtin_popcountll(a2 ^ q2) + __builtin_popcountll(a3 ^ q3);
                    if (distance < d[0]) hamming_offer(d, ix, k, distance, (int32_t)(first_index + i));
                }
            } else {
                for (long i = c0; i < c1; i++) {
                    const uint8_t *c = codes + i * bytes;
                    int32_t distance = 0;
                    for (long w = 0; w < words; w++) {
                        uint64_t a, b;
                        memcpy(&a, c + 8 * w, 8); memcpy(&b, query + 8 * w, 8);
                        distance += __builtin_popcountll(a ^ b);
                    }
                    for (long t = words * 8; t < bytes; t++) distance += __builtin_popcount((unsigned)(c[t] ^ query[t]));
                    if (distance < d[0]) hamming_offer(d, ix, k, distance, (int32_t)(first_index + i));
                }
            }
        }
    }
    /* Heap sort each query's heap: popping the worst to the end leaves the slots ascending by (distance, index). */
    for (long q = 0; q < nq; q++) {
        int32_t *d = distances + q * k, *ix = indices + q * k;
        for (long end = k - 1; end > 0; end--) {
            int32_t td = d[0], ti = ix[0];
            d[0] = d[end]; ix[0] = ix[end];
            d[end] = td; ix[end] = ti;
            hamming_sift_down(d, ix, end, 0);
        }
    }
}
