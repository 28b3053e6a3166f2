/*
 * keccak_hasher.h - a Keccak hasher module (original Keccak padding, pad10*1 with domain
 * byte 0x01: as Ethereum's keccak-256, NOT FIPS 202 SHA-3, whose domain byte is 0x06) for
 * one digest size: one shot, many one-shot hashes per call (ac_hash_batch) and a stream.
 *
 * A module defines KECCAK_DIGEST (digest bytes; the capacity is twice that, so the rate is
 * 200 - 2 * KECCAK_DIGEST bytes) and KECCAK_NAME (its name, for batch messages), includes
 * "ac.h" and then this header, which exports the hasher.  Written from the Keccak reference
 * specification (keccak.team, "The Keccak reference", v3.0); the permutation is
 * keccak_f1600.h.  Used by wasm-src/keccak-256 and wasm-src/keccak-512.
 *
 * Invariants:
 *   - Lanes are 64-bit little endian (the permutation: keccak_f1600.h).
 *   - The stream state (state, partial block, its fill) lives in statics; a fresh module
 *     and a finished stream both hold the empty stream, so init/update/final never depend
 *     on anything but the bytes streamed since the last init or final.
 *   - ac_hash (one shot) and ac_hash_batch (many one-shot hashes) do not touch the stream
 *     state.
 */
#ifndef AC_KECCAK_HASHER_H
#define AC_KECCAK_HASHER_H

#if !defined(KECCAK_DIGEST) || !defined(KECCAK_NAME)
#error "define KECCAK_DIGEST and KECCAK_NAME before including keccak_hasher.h"
#endif

#define DIGEST KECCAK_DIGEST
#define RATE (200 - 2 * KECCAK_DIGEST) /* bytes: (1600 - 2 * 8 * DIGEST) / 8 */

#include "keccak_f1600.h"


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

static void keccak_into(const uint8_t *in, size_t n, uint8_t d[DIGEST]) {
    uint64_t s[25];
    memset(s, 0, sizeof s);
    while (n >= RATE) {
        absorb_block(s, in);
        in += RATE;
        n -= RATE;
    }
    finish(s, in, n, d);
}

static int hash_one(const uint8_t *in, size_t n, ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, DIGEST);
    if (!d) return out->err;
    keccak_into(in, n, d);
    return AC_OK;
}

/* ---- many one-shot hashes per call (ac_hash_batch) --------------------------------------
 * Frame: u32 count | count x (u32 len | bytes) -> count x DIGEST-byte digests, in order (read by
 * ac_batch_*: every length is checked against the bytes present before the input is read). */

static int hash_batch(const uint8_t *in, size_t n, ac_buf *out) {
    ac_batch batch;
    AC_TRY(ac_batch_open(&batch, KECCAK_NAME, in, n));
    uint8_t *d = ac_buf_extend(out, (size_t)batch.count * DIGEST);
    if (!d) return out->err;
    for (uint32_t i = 0; i < batch.count; i++, d += DIGEST) {
        const uint8_t *p;
        uint32_t len;
        AC_TRY(ac_batch_next(&batch, &p, &len));
        keccak_into(p, len, d);
    }
    return ac_batch_close(&batch);
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
AC_EXPORT_HASH_BATCH(hash_batch)

#endif /* AC_KECCAK_HASHER_H */
