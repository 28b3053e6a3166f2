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

/* One round: theta, then rho and pi fused (lane x+5y moves to y+5((2x+3y) mod 5) rotated
 * by its offset), then chi and iota.  The macros spell every lane out so the compiler
 * keeps the 25 lanes in locals. */
#define THETA_C(x) (a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20])
#define RP(dst, src, r) b[dst] = rotl(a[src] ^ d[(src) % 5], r)
#define CHI_ROW(y)                                                                         \
    a[5 * y + 0] = b[5 * y + 0] ^ (~b[5 * y + 1] & b[5 * y + 2]);                          \
    a[5 * y + 1] = b[5 * y + 1] ^ (~b[5 * y + 2] & b[5 * y + 3]);                          \
    a[5 * y + 2] = b[5 * y + 2] ^ (~b[5 * y + 3] & b[5 * y + 4]);                          \
    a[5 * y + 3] = b[5 * y + 3] ^ (~b[5 * y + 4] & b[5 * y + 0]);                          \
    a[5 * y + 4] = b[5 * y + 4] ^ (~b[5 * y + 0] & b[5 * y + 1]);

static void keccak_f1600(uint64_t a[25]) {
    uint64_t b[25], c[5], d[5];
    for (int round = 0; round < 24; round++) {
        c[0] = THETA_C(0); c[1] = THETA_C(1); c[2] = THETA_C(2); c[3] = THETA_C(3); c[4] = THETA_C(4);
        d[0] = c[4] ^ rotl(c[1], 1);
        d[1] = c[0] ^ rotl(c[2], 1);
        d[2] = c[1] ^ rotl(c[3], 1);
        d[3] = c[2] ^ rotl(c[4], 1);
        d[4] = c[3] ^ rotl(c[0], 1);
        /* rho offsets r[x][y] from the specification, source lane x + 5y */
        RP(0, 0, 0);   RP(10, 1, 1);  RP(20, 2, 62); RP(5, 3, 28);  RP(15, 4, 27);
        RP(16, 5, 36); RP(1, 6, 44);  RP(11, 7, 6);  RP(21, 8, 55); RP(6, 9, 20);
        RP(7, 10, 3);  RP(17, 11, 10); RP(2, 12, 43); RP(12, 13, 25); RP(22, 14, 39);
        RP(23, 15, 41); RP(8, 16, 45); RP(18, 17, 15); RP(3, 18, 21); RP(13, 19, 8);
        RP(14, 20, 18); RP(24, 21, 2); RP(9, 22, 61); RP(19, 23, 56); RP(4, 24, 14);
        CHI_ROW(0) CHI_ROW(1) CHI_ROW(2) CHI_ROW(3) CHI_ROW(4)
        a[0] ^= RC[round];
    }
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
