#include "kernels.h"
#include <stdint.h>
#include <string.h>

// SHA-256 compression (FIPS 180-4) over whole 64-byte blocks: the Intel SHA extensions where the CPU has them
// (checked once with cpuid), a portable loop elsewhere. Both are checked against the standard test vectors.

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_portable(uint32_t *state, const uint8_t *data, size_t blocks) {
    uint32_t w[64];
    for (; blocks > 0; blocks--, data += 64) {
        for (int t = 0; t < 16; t++) {
            w[t] = (uint32_t)data[4 * t] << 24 | (uint32_t)data[4 * t + 1] << 16 | (uint32_t)data[4 * t + 2] << 8
                | (uint32_t)data[4 * t + 3];
        }
        for (int t = 16; t < 64; t++) {
            uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
            uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
        uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
        for (int t = 0; t < 64; t++) {
            uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
            uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        state[0] += a; state[1] += b; state[2] += c; state[3] += d;
        state[4] += e; state[5] += f; state[6] += g; state[7] += h;
    }
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

// One group of four rounds: message words `m` plus constants, two sha256rnds2 steps.
#define ROUNDS(m, i)                                                                            \
    msg = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)&K[4 * (i)]));                     \
    state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                                        \
    msg = _mm_shuffle_epi32(msg, 0x0E);                                                         \
    state0 = _mm_sha256rnds2_epu32(state0, state1, msg)
// Rounds 4i..4i+3 for i in 3...14 with the message schedule: a = word group i mod 4 feeds group b = i+1,
// and group d = i+3 starts its next update.
#define SCHEDULED(a, b, d, i, next)                                                             \
    msg = _mm_add_epi32(a, _mm_loadu_si128((const __m128i *)&K[4 * (i)]));                     \
    state1 = _mm_sha256rnds2_epu32(state1, state0, msg);                                        \
    b = _mm_sha256msg2_epu32(_mm_add_epi32(b, _mm_alignr_epi8(a, d, 4)), a);                    \
    msg = _mm_shuffle_epi32(msg, 0x0E);                                                         \
    state0 = _mm_sha256rnds2_epu32(state0, state1, msg);                                        \
    if (next) d = _mm_sha256msg1_epu32(d, a)

__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_extensions(uint32_t *state, const uint8_t *data, size_t blocks) {
    const __m128i shuffle = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);  // CDAB
    __m128i state1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);  // EFGH
    __m128i state0 = _mm_alignr_epi8(tmp, state1, 8);  // ABEF
    state1 = _mm_blend_epi16(state1, tmp, 0xF0);       // CDGH
    for (; blocks > 0; blocks--, data += 64) {
        __m128i abef = state0, cdgh = state1, msg;
        __m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), shuffle);
        __m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), shuffle);
        __m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), shuffle);
        __m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), shuffle);
        ROUNDS(m0, 0);
        ROUNDS(m1, 1);
        m0 = _mm_sha256msg1_epu32(m0, m1);
        ROUNDS(m2, 2);
        m1 = _mm_sha256msg1_epu32(m1, m2);
        SCHEDULED(m3, m0, m2, 3, 1);
        SCHEDULED(m0, m1, m3, 4, 1);
        SCHEDULED(m1, m2, m0, 5, 1);
        SCHEDULED(m2, m3, m1, 6, 1);
        SCHEDULED(m3, m0, m2, 7, 1);
        SCHEDULED(m0, m1, m3, 8, 1);
        SCHEDULED(m1, m2, m0, 9, 1);
        SCHEDULED(m2, m3, m1, 10, 1);
        SCHEDULED(m3, m0, m2, 11, 1);
        SCHEDULED(m0, m1, m3, 12, 1);
        SCHEDULED(m1, m2, m0, 13, 0);
        SCHEDULED(m2, m3, m1, 14, 0);
        ROUNDS(m3, 15);
        state0 = _mm_add_epi32(state0, abef);
        state1 = _mm_add_epi32(state1, cdgh);
    }
    tmp = _mm_shuffle_epi32(state0, 0x1B);        // FEBA
    state1 = _mm_shuffle_epi32(state1, 0xB1);     // DCHG
    state0 = _mm_blend_epi16(tmp, state1, 0xF0);  // DCBA
    state1 = _mm_alignr_epi8(state1, tmp, 8);     // ABEF
    _mm_storeu_si128((__m128i *)&state[0], state0);
    _mm_storeu_si128((__m128i *)&state[4], state1);
}

static int has_sha_extensions(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int sha = (b >> 29) & 1;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return sha && ((c >> 19) & 1) && ((c >> 9) & 1);  // SSE4.1, SSSE3
}
#endif

int matryoshka_sha256_uses_extensions(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) cached = has_sha_extensions();
    return cached;
#else
    return 0;
#endif
}

void matryoshka_sha256_blocks(uint32_t *state, const uint8_t *data, size_t blocks, int allow_extensions) {
#if defined(__x86_64__)
    if (allow_extensions && matryoshka_sha256_uses_extensions()) {
        sha256_extensions(state, data, blocks);
        return;
    }
#endif
    sha256_portable(state, data, blocks);
}
