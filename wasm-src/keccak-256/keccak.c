/*
 * keccak-256 hasher module (multihash 0x1b), autocodec ABI v1.
 *
 * Keccak[r=1088, c=512] with the original Keccak padding (pad10*1 with domain byte 0x01),
 * as used by Ethereum; NOT FIPS 202 SHA3-256 (domain byte 0x06).  Written from the
 * Keccak reference specification (keccak.team, "The Keccak reference", v3.0): the
 * round constants and rotation offsets below are the specification's.
 *
 * Invariants:
 *   - Lanes are 64-bit little endian (wasm32 is little endian, so a lane is a plain load).
 *   - The stream state (state, partial block, its fill) lives in statics; a fresh module
 *     and a finished stream both hold the empty stream, so init/update/final never depend
 *     on anything but the bytes streamed since the last init or final.
 *   - ac_hash (one shot) does not touch the stream state.
 */
#include "ac.h"

#define RATE 136 /* bytes: (1600 - 2 * 256) / 8 */
#define DIGEST 32

static const uint64_t RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rotl(uint64_t v, unsigned n) {
    return n ? (v << n) | (v >> (64 - n)) : v;
}

/* The permutation works on 25 local lanes (wasm locals, not memory): each round is theta,
 * rho and pi fused (lane x+5y moves to lane y+5((2x+3y) mod 5), rotated by the
 * specification's offset r[x][y]), then chi and iota. */
#define LANES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) \
    X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)
#define DECL(i) uint64_t a##i = s[i], b##i;
#define STORE(i) s[i] = a##i;
#define RP(dst, src, r) b##dst = rotl(a##src ^ d##src##_, r);
#define CHI(y0, y1, y2, y3, y4)                                                            \
    a##y0 = b##y0 ^ (~b##y1 & b##y2);                                                      \
    a##y1 = b##y1 ^ (~b##y2 & b##y3);                                                      \
    a##y2 = b##y2 ^ (~b##y3 & b##y4);                                                      \
    a##y3 = b##y3 ^ (~b##y4 & b##y0);                                                      \
    a##y4 = b##y4 ^ (~b##y0 & b##y1);

static void keccak_f1600(uint64_t s[25]) {
    LANES(DECL)
    for (int round = 0; round < 24; round++) {
        uint64_t c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20, c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21,
                 c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22, c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23,
                 c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        uint64_t d0 = c4 ^ rotl(c1, 1), d1 = c0 ^ rotl(c2, 1), d2 = c1 ^ rotl(c3, 1),
                 d3 = c2 ^ rotl(c4, 1), d4 = c3 ^ rotl(c0, 1);
        /* d<lane>_ is the theta column term of a source lane: d[x] for lane x + 5y */
        uint64_t d0_ = d0, d1_ = d1, d2_ = d2, d3_ = d3, d4_ = d4, d5_ = d0, d6_ = d1, d7_ = d2,
                 d8_ = d3, d9_ = d4, d10_ = d0, d11_ = d1, d12_ = d2, d13_ = d3, d14_ = d4,
                 d15_ = d0, d16_ = d1, d17_ = d2, d18_ = d3, d19_ = d4, d20_ = d0, d21_ = d1,
                 d22_ = d2, d23_ = d3, d24_ = d4;
        RP(0, 0, 0)   RP(10, 1, 1)  RP(20, 2, 62) RP(5, 3, 28)  RP(15, 4, 27)
        RP(16, 5, 36) RP(1, 6, 44)  RP(11, 7, 6)  RP(21, 8, 55) RP(6, 9, 20)
        RP(7, 10, 3)  RP(17, 11, 10) RP(2, 12, 43) RP(12, 13, 25) RP(22, 14, 39)
        RP(23, 15, 41) RP(8, 16, 45) RP(18, 17, 15) RP(3, 18, 21) RP(13, 19, 8)
        RP(14, 20, 18) RP(24, 21, 2) RP(9, 22, 61) RP(19, 23, 56) RP(4, 24, 14)
        CHI(0, 1, 2, 3, 4) CHI(5, 6, 7, 8, 9) CHI(10, 11, 12, 13, 14) CHI(15, 16, 17, 18, 19)
        CHI(20, 21, 22, 23, 24)
        a0 ^= RC[round];
    }
    LANES(STORE)
}

/* XOR one full rate block into the state and permute. */
static inline void absorb_block(uint64_t s[25], const uint8_t *p) {
    for (int i = 0; i < RATE / 8; i++) {
        uint64_t lane;
        memcpy(&lane, p + 8 * i, 8);
        s[i] ^= lane;
    }
    keccak_f1600(s);
}

/* Pad the final partial block (n < RATE bytes), absorb it and write the digest. */
static void finish(uint64_t s[25], const uint8_t *tail, size_t n, uint8_t out[DIGEST]) {
    uint8_t block[RATE];
    memset(block, 0, RATE);
    memcpy(block, tail, n);
    block[n] ^= 0x01;        /* Keccak domain/padding start */
    block[RATE - 1] ^= 0x80; /* padding end */
    absorb_block(s, block);
    memcpy(out, s, DIGEST);
}

/* ---- one shot ---------------------------------------------------------------------- */

static int hash_one(const uint8_t *in, size_t n, ac_buf *out) {
    uint64_t s[25];
    memset(s, 0, sizeof s);
    while (n >= RATE) {
        absorb_block(s, in);
        in += RATE;
        n -= RATE;
    }
    uint8_t *d = ac_buf_extend(out, DIGEST);
    if (!d) return out->err;
    finish(s, in, n, d);
    return AC_OK;
}

/* ---- stream (static state) --------------------------------------------------------- */

static uint64_t st_lanes[25];
static uint8_t st_block[RATE];
static size_t st_fill;

static int stream_init(void) {
    memset(st_lanes, 0, sizeof st_lanes);
    st_fill = 0;
    return AC_OK;
}

static int stream_update(const uint8_t *p, size_t n) {
    if (st_fill) {
        size_t take = RATE - st_fill;
        if (take > n) take = n;
        memcpy(st_block + st_fill, p, take);
        st_fill += take;
        p += take;
        n -= take;
        if (st_fill < RATE) return AC_OK;
        absorb_block(st_lanes, st_block);
        st_fill = 0;
    }
    while (n >= RATE) {
        absorb_block(st_lanes, p);
        p += RATE;
        n -= RATE;
    }
    memcpy(st_block, p, n);
    st_fill = n;
    return AC_OK;
}

static int stream_final(ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, DIGEST);
    if (!d) return out->err;
    finish(st_lanes, st_block, st_fill, d);
    return stream_init(); /* back to the empty stream */
}

AC_EXPORT_HASHER(hash_one, stream_init, stream_update, stream_final)
