#include "kernels.h"
#include <stdint.h>
#include <string.h>

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
