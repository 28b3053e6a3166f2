/*
 * blake3 - the BLAKE3 hash (multihash 0x1e, 32-byte digest) as an autocodec hasher.
 *
 * Written from the BLAKE3 specification (Aumasson, Neves, O'Connor, Wilcox-O'Hearn,
 * "BLAKE3: one function, fast everywhere", 2020, sections 2.1-2.6): only the default
 * `hash` mode (no key, no derive_key); a 32-byte digest, and extended output of up to 64 KiB
 * (ac_hash_xof, ac_hash_final_xof: multihash blake3 of 20..128 bytes, as Kubo makes them).
 *
 * Invariants:
 *   - The input is split into 1024-byte chunks of 64-byte blocks; each chunk is compressed
 *     into a chaining value (CV), and CVs are merged pairwise into a binary tree whose left
 *     subtrees are complete.  A stream keeps only the current chunk (one 64-byte block
 *     buffer) and a stack of at most 54 CVs (2^54 chunks = 2^64 bytes), so its state is
 *     bounded for any input length.
 *   - A chunk or block is finalised only once more input proves it is not the last one
 *     (the last block of the whole input carries the ROOT flag instead of being merged).
 *   - One kernel (wasm SIMD128, build.flags: -msimd128): every whole chunk that more input
 *     follows is compressed four at a time (one chunk per vector lane), and the parents of the
 *     aligned subtrees those chunks form four at a time too (b4_hash); the scalar `compress`,
 *     bit-identical, handles partial chunks, the root and the merges on the stack.  bao.c
 *     #includes this file and hashes its tree with the same functions.  ac_hash_batch also
 *     hashes inputs of up to one chunk four at a time, one input per lane (each its own root).
 *   - Stream state lives in static memory (`g_stream`); the one-shot `ac_hash` uses its
 *     own hasher on the stack, so it never disturbs a stream in progress (the batch scratch
 *     `g_b3_at`/`g_b3_cvs` is static too, but holds nothing between calls).
 */
#include "ac.h"

#define B3_OUT_LEN 32
#define B3_BLOCK_LEN 64
#define B3_CHUNK_LEN 1024
#define B3_MAX_DEPTH 54

enum { CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8 };

static const uint32_t IV[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
    0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u,
};

/* Message word order of each of the 7 rounds: round r uses the spec's permutation
 * (2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8) applied r times. */
static const uint8_t SCHEDULE[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

#define G(a, b, c, d, x, y)                                   \
    do {                                                      \
        a = a + b + (x); d = rotr(d ^ a, 16);                 \
        c = c + d;       b = rotr(b ^ c, 12);                 \
        a = a + b + (y); d = rotr(d ^ a, 8);                  \
        c = c + d;       b = rotr(b ^ c, 7);                  \
    } while (0)

/* Round r over the state v0..v15 with message words m[]: four column then four diagonal G
 * steps, each taking the next two words in that round's schedule (scalar and four-way alike). */
#define ROUND(G_, r)                                                       \
    do {                                                                   \
        G_(v0, v4, v8, v12, m[SCHEDULE[r][0]], m[SCHEDULE[r][1]]);         \
        G_(v1, v5, v9, v13, m[SCHEDULE[r][2]], m[SCHEDULE[r][3]]);         \
        G_(v2, v6, v10, v14, m[SCHEDULE[r][4]], m[SCHEDULE[r][5]]);        \
        G_(v3, v7, v11, v15, m[SCHEDULE[r][6]], m[SCHEDULE[r][7]]);        \
        G_(v0, v5, v10, v15, m[SCHEDULE[r][8]], m[SCHEDULE[r][9]]);        \
        G_(v1, v6, v11, v12, m[SCHEDULE[r][10]], m[SCHEDULE[r][11]]);      \
        G_(v2, v7, v8, v13, m[SCHEDULE[r][12]], m[SCHEDULE[r][13]]);       \
        G_(v3, v4, v9, v14, m[SCHEDULE[r][14]], m[SCHEDULE[r][15]]);       \
    } while (0)

/* The compression function (one input, rounds unrolled); writes the full 16-word state into
 * out.  Used for partial chunks, the root and the few parents the four-way kernel leaves. */
static void compress(const uint32_t cv[8], const uint8_t block[B3_BLOCK_LEN], uint32_t block_len,
                     uint64_t counter, uint32_t flags, uint32_t out[16]) {
    uint32_t m[16];
    memcpy(m, block, sizeof m); /* wasm32 is little endian, as BLAKE3's words are */
    uint32_t v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3];
    uint32_t v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
    uint32_t v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
    uint32_t v12 = (uint32_t)counter, v13 = (uint32_t)(counter >> 32), v14 = block_len, v15 = flags;
#pragma clang loop unroll(full) /* constant schedule indexes: the words stay in locals */
    for (int r = 0; r < 7; r++) ROUND(G, r);
    out[0] = v0 ^ v8;   out[1] = v1 ^ v9;   out[2] = v2 ^ v10;  out[3] = v3 ^ v11;
    out[4] = v4 ^ v12;  out[5] = v5 ^ v13;  out[6] = v6 ^ v14;  out[7] = v7 ^ v15;
    out[8] = v8 ^ cv[0];  out[9] = v9 ^ cv[1];  out[10] = v10 ^ cv[2]; out[11] = v11 ^ cv[3];
    out[12] = v12 ^ cv[4]; out[13] = v13 ^ cv[5]; out[14] = v14 ^ cv[6]; out[15] = v15 ^ cv[7];
}

/* ---- the four-way kernel (wasm SIMD128): lane k of every vector belongs to input k ------
 * b4_hash compresses four independent inputs of `blocks` 64-byte blocks each (lane k from
 * in[k]): whole chunks (16 blocks, counters counter+k, CHUNK_START/CHUNK_END on the first
 * and last block), parent nodes (1 block, counter 0, PARENT) or whole one-chunk inputs (counter
 * 0, ROOT with CHUNK_END).  Lane k's last block counts last_len[k] bytes (B4_FULL: 64 each);
 * the bytes past them must be zero, as BLAKE3 pads.  Its rounds are fully
 * unrolled so the message words stay in locals; results are bit-identical to `compress`.
 * The hasher uses it for every whole chunk that more input follows and for the parents of
 * the aligned subtrees those chunks form; bao.c (which #includes this file) uses it for its
 * tree. */
#ifndef __wasm_simd128__
#error "blake3.c needs wasm SIMD128 (build.flags: -msimd128)"
#endif
#include <wasm_simd128.h>

#define B4_ROT16(x) wasm_i8x16_shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13)
#define B4_ROT8(x) wasm_i8x16_shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12)
#define B4_ROT12(x) wasm_v128_or(wasm_u32x4_shr(x, 12), wasm_i32x4_shl(x, 20))
#define B4_ROT7(x) wasm_v128_or(wasm_u32x4_shr(x, 7), wasm_i32x4_shl(x, 25))
#define B4_G(a, b, c, d, x, y)                                                            \
    do {                                                                                  \
        a = wasm_i32x4_add(wasm_i32x4_add(a, b), x); d = B4_ROT16(wasm_v128_xor(d, a));   \
        c = wasm_i32x4_add(c, d);                    b = B4_ROT12(wasm_v128_xor(b, c));   \
        a = wasm_i32x4_add(wasm_i32x4_add(a, b), y); d = B4_ROT8(wasm_v128_xor(d, a));    \
        c = wasm_i32x4_add(c, d);                    b = B4_ROT7(wasm_v128_xor(b, c));    \
    } while (0)

static void b4_hash(const uint8_t *const in[4], uint32_t blocks, uint64_t counter, bool counter_step,
                    uint32_t flags, uint32_t flags_start, uint32_t flags_end, v128_t last_len, uint32_t out[4][8]) {
    v128_t h0 = wasm_i32x4_splat((int32_t)IV[0]), h1 = wasm_i32x4_splat((int32_t)IV[1]);
    v128_t h2 = wasm_i32x4_splat((int32_t)IV[2]), h3 = wasm_i32x4_splat((int32_t)IV[3]);
    v128_t h4 = wasm_i32x4_splat((int32_t)IV[4]), h5 = wasm_i32x4_splat((int32_t)IV[5]);
    v128_t h6 = wasm_i32x4_splat((int32_t)IV[6]), h7 = wasm_i32x4_splat((int32_t)IV[7]);
    uint64_t c1 = counter + (counter_step ? 1u : 0u), c2 = counter + (counter_step ? 2u : 0u);
    uint64_t c3 = counter + (counter_step ? 3u : 0u);
    const v128_t ctr_lo = wasm_i32x4_make((int32_t)counter, (int32_t)c1, (int32_t)c2, (int32_t)c3);
    const v128_t ctr_hi = wasm_i32x4_make((int32_t)(counter >> 32), (int32_t)(c1 >> 32), (int32_t)(c2 >> 32),
                                          (int32_t)(c3 >> 32));
    for (uint32_t blk = 0; blk < blocks; blk++) {
        v128_t m[16];
        size_t off = (size_t)blk * B3_BLOCK_LEN;
#pragma clang loop unroll(full)
        for (int j = 0; j < 16; j += 4) { /* 4x4 transpose: words j..j+3 of each input's block */
            v128_t r0 = wasm_v128_load(in[0] + off + 4 * j), r1 = wasm_v128_load(in[1] + off + 4 * j);
            v128_t r2 = wasm_v128_load(in[2] + off + 4 * j), r3 = wasm_v128_load(in[3] + off + 4 * j);
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            m[j] = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
            m[j + 1] = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
            m[j + 2] = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
            m[j + 3] = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
        }
        uint32_t f = flags | (blk == 0 ? flags_start : 0) | (blk + 1 == blocks ? flags_end : 0);
        v128_t v0 = h0, v1 = h1, v2 = h2, v3 = h3, v4 = h4, v5 = h5, v6 = h6, v7 = h7;
        v128_t v8 = wasm_i32x4_splat((int32_t)IV[0]), v9 = wasm_i32x4_splat((int32_t)IV[1]);
        v128_t v10 = wasm_i32x4_splat((int32_t)IV[2]), v11 = wasm_i32x4_splat((int32_t)IV[3]);
        v128_t v12 = ctr_lo, v13 = ctr_hi, v14 = blk + 1 == blocks ? last_len : wasm_i32x4_splat(B3_BLOCK_LEN);
        v128_t v15 = wasm_i32x4_splat((int32_t)f);
#pragma clang loop unroll(full)
        for (int r = 0; r < 7; r++) ROUND(B4_G, r);
        h0 = wasm_v128_xor(v0, v8); h1 = wasm_v128_xor(v1, v9);
        h2 = wasm_v128_xor(v2, v10); h3 = wasm_v128_xor(v3, v11);
        h4 = wasm_v128_xor(v4, v12); h5 = wasm_v128_xor(v5, v13);
        h6 = wasm_v128_xor(v6, v14); h7 = wasm_v128_xor(v7, v15);
    }
    /* transpose back: out[k] = lane k of h0..h7 (all inputs were read before this) */
    v128_t a0 = wasm_i32x4_shuffle(h0, h1, 0, 4, 1, 5), a1 = wasm_i32x4_shuffle(h0, h1, 2, 6, 3, 7);
    v128_t a2 = wasm_i32x4_shuffle(h2, h3, 0, 4, 1, 5), a3 = wasm_i32x4_shuffle(h2, h3, 2, 6, 3, 7);
    v128_t b0 = wasm_i32x4_shuffle(h4, h5, 0, 4, 1, 5), b1 = wasm_i32x4_shuffle(h4, h5, 2, 6, 3, 7);
    v128_t b2 = wasm_i32x4_shuffle(h6, h7, 0, 4, 1, 5), b3 = wasm_i32x4_shuffle(h6, h7, 2, 6, 3, 7);
    wasm_v128_store(&out[0][0], wasm_i32x4_shuffle(a0, a2, 0, 1, 4, 5));
    wasm_v128_store(&out[0][4], wasm_i32x4_shuffle(b0, b2, 0, 1, 4, 5));
    wasm_v128_store(&out[1][0], wasm_i32x4_shuffle(a0, a2, 2, 3, 6, 7));
    wasm_v128_store(&out[1][4], wasm_i32x4_shuffle(b0, b2, 2, 3, 6, 7));
    wasm_v128_store(&out[2][0], wasm_i32x4_shuffle(a1, a3, 0, 1, 4, 5));
    wasm_v128_store(&out[2][4], wasm_i32x4_shuffle(b1, b3, 0, 1, 4, 5));
    wasm_v128_store(&out[3][0], wasm_i32x4_shuffle(a1, a3, 2, 3, 6, 7));
    wasm_v128_store(&out[3][4], wasm_i32x4_shuffle(b1, b3, 2, 3, 6, 7));
}

#define B4_FULL wasm_i32x4_splat(B3_BLOCK_LEN) /* every lane's last block is whole */

/* CVs of n whole chunks (none the root) at ptr[0..n), chunk counters counter.. */
static void b4_chunks(const uint8_t *const *ptr, uint32_t n, uint64_t counter, uint32_t (*cvs)[8]) {
    uint32_t i = 0;
    for (; i + 4 <= n; i += 4)
        b4_hash(ptr + i, B3_CHUNK_LEN / B3_BLOCK_LEN, counter + i, true, 0, CHUNK_START, CHUNK_END, B4_FULL, cvs + i);
    if (i < n) { /* 1-3 left: lanes past the end repeat the last chunk and are dropped */
        const uint8_t *p[4];
        uint32_t tmp[4][8];
        for (uint32_t k = 0; k < 4; k++) p[k] = ptr[i + k < n ? i + k : n - 1];
        b4_hash(p, B3_CHUNK_LEN / B3_BLOCK_LEN, counter + i, true, 0, CHUNK_START, CHUNK_END, B4_FULL, tmp);
        for (uint32_t k = 0; i + k < n; k++) memcpy(cvs[i + k], tmp[k], 32);
    }
}

/* One level up a row of m CVs (BLAKE3's tree: pairs from the left, an odd last one carried):
 * up[j] = parent(row[2j], row[2j+1]), none of them the root; returns the length of `up`.
 * `up` may be `row` itself (each step reads its pairs before it writes below them). */
static uint32_t b4_level(const uint32_t (*row)[8], uint32_t m, uint32_t (*up)[8]) {
    uint32_t pairs = m / 2, j = 0;
    for (; j + 4 <= pairs; j += 4) {
        const uint8_t *p[4] = {(const uint8_t *)row[2 * j], (const uint8_t *)row[2 * j + 2],
                               (const uint8_t *)row[2 * j + 4], (const uint8_t *)row[2 * j + 6]};
        b4_hash(p, 1, 0, false, PARENT, 0, 0, B4_FULL, up + j);
    }
    for (; j < pairs; j++) {
        uint32_t o[16];
        compress(IV, (const uint8_t *)row[2 * j], B3_BLOCK_LEN, 0, PARENT, o);
        memcpy(up[j], o, 32);
    }
    if (m & 1) memmove(up[pairs], row[m - 1], 32);
    return pairs + (m & 1);
}

/* Compress and keep only the new chaining value (the first 8 words). */
static inline void compress_cv(uint32_t cv[8], const uint8_t *block, uint32_t block_len,
                               uint64_t counter, uint32_t flags) {
    uint32_t out[16];
    compress(cv, block, block_len, counter, flags, out);
    for (int i = 0; i < 8; i++) cv[i] = out[i];
}

/* What the root (or any node) would compress last: enough to derive its CV or, with ROOT,
 * the output. */
typedef struct {
    uint32_t cv[8];
    uint8_t block[B3_BLOCK_LEN];
    uint32_t block_len;
    uint64_t counter;
    uint32_t flags;
} b3_output;

typedef struct {
    uint32_t cv[8];           /* CV after the blocks compressed so far in this chunk */
    uint64_t chunk_counter;   /* index of this chunk in the input */
    uint8_t buf[B3_BLOCK_LEN]; /* pending block (the last one is kept until more input) */
    uint32_t buf_len;
    uint32_t blocks_done;     /* blocks of this chunk already compressed */
} b3_chunk;

typedef struct {
    b3_chunk chunk;
    uint32_t stack[B3_MAX_DEPTH][8];
    uint32_t stack_len;
} b3_hasher;

static void chunk_reset(b3_chunk *c, uint64_t counter) {
    for (int i = 0; i < 8; i++) c->cv[i] = IV[i];
    c->chunk_counter = counter;
    c->buf_len = 0;
    c->blocks_done = 0;
}

static inline size_t chunk_len(const b3_chunk *c) {
    return (size_t)c->blocks_done * B3_BLOCK_LEN + c->buf_len;
}

static inline uint32_t chunk_start_flag(const b3_chunk *c) {
    return c->blocks_done == 0 ? CHUNK_START : 0;
}

/* Feed bytes to a chunk; the caller never passes more than fits in the chunk. */
static void chunk_update(b3_chunk *c, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (c->buf_len == B3_BLOCK_LEN) { /* more input follows: the pending block is not last */
            compress_cv(c->cv, c->buf, B3_BLOCK_LEN, c->chunk_counter, chunk_start_flag(c));
            c->blocks_done++;
            c->buf_len = 0;
        }
        if (c->buf_len == 0) { /* whole blocks straight from the input, except the last */
            while (n > B3_BLOCK_LEN) {
                compress_cv(c->cv, p, B3_BLOCK_LEN, c->chunk_counter, chunk_start_flag(c));
                c->blocks_done++;
                p += B3_BLOCK_LEN;
                n -= B3_BLOCK_LEN;
            }
        }
        size_t take = B3_BLOCK_LEN - c->buf_len;
        if (take > n) take = n;
        memcpy(c->buf + c->buf_len, p, take);
        c->buf_len += (uint32_t)take;
        p += take;
        n -= take;
    }
}

static void chunk_output(const b3_chunk *c, b3_output *o) {
    for (int i = 0; i < 8; i++) o->cv[i] = c->cv[i];
    memset(o->block, 0, B3_BLOCK_LEN);
    memcpy(o->block, c->buf, c->buf_len);
    o->block_len = c->buf_len;
    o->counter = c->chunk_counter;
    o->flags = chunk_start_flag(c) | CHUNK_END;
}

static void output_cv(const b3_output *o, uint32_t cv[8]) {
    for (int i = 0; i < 8; i++) cv[i] = o->cv[i];
    compress_cv(cv, o->block, o->block_len, o->counter, o->flags);
}

static void parent_output(const uint32_t left[8], const uint32_t right[8], b3_output *o) {
    for (int i = 0; i < 8; i++) {
        o->cv[i] = IV[i];
        ac_put_le32(o->block + 4 * i, left[i]);
        ac_put_le32(o->block + 32 + 4 * i, right[i]);
    }
    o->block_len = B3_BLOCK_LEN;
    o->counter = 0;
    o->flags = PARENT;
}

static void hasher_init(b3_hasher *h) {
    chunk_reset(&h->chunk, 0);
    h->stack_len = 0;
}

/* Push the CV of a completed subtree; `done` subtrees of its size are complete so far.
 * Every trailing zero bit of `done` is a completed subtree twice as large to merge with the
 * CV below it on the stack (whose subtrees are never smaller than this one). */
static void push_cv(b3_hasher *h, uint32_t cv[8], uint64_t done) {
    while ((done & 1) == 0) {
        b3_output o;
        parent_output(h->stack[--h->stack_len], cv, &o);
        output_cv(&o, cv);
        done >>= 1;
    }
    for (int i = 0; i < 8; i++) h->stack[h->stack_len][i] = cv[i];
    h->stack_len++;
}

#define B3_BATCH 256 /* whole chunks hashed per four-way batch */
static const uint8_t *g_b3_at[B3_BATCH];
static uint32_t g_b3_cvs[B3_BATCH][8];

/* `count` whole chunks at p, chunk counters from `counter` (the chunks done so far), each
 * followed by more input.  Their CVs come four at a time from b4_chunks; each aligned run of
 * 2^L of them (a complete subtree of BLAKE3's tree) is reduced to its subtree's CV four
 * parents at a time by b4_level and pushed as one. */
static void hasher_chunks(b3_hasher *h, const uint8_t *p, uint64_t counter, uint64_t count) {
    while (count > 0) {
        uint32_t k = count < B3_BATCH ? (uint32_t)count : B3_BATCH;
        for (uint32_t i = 0; i < k; i++) g_b3_at[i] = p + (size_t)i * B3_CHUNK_LEN;
        b4_chunks(g_b3_at, k, counter, g_b3_cvs);
        for (uint32_t i = 0; i < k;) {
            uint64_t c = counter + i, low = c & (~c + 1); /* low: c's lowest set bit, 0 for 0 */
            uint32_t run = 1, level = 0;
            while (run * 2 <= k - i && (low == 0 || run * 2 <= low)) { run *= 2; level++; }
            for (uint32_t m = run; m > 1;) m = b4_level((const uint32_t(*)[8])(g_b3_cvs + i), m, g_b3_cvs + i);
            push_cv(h, g_b3_cvs[i], (c + run) >> level);
            i += run;
        }
        counter += k;
        p += (size_t)k * B3_CHUNK_LEN;
        count -= k;
    }
}

static void hasher_update(b3_hasher *h, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (chunk_len(&h->chunk) == B3_CHUNK_LEN) { /* more input: the full chunk is not last */
            b3_output o;
            uint32_t cv[8];
            chunk_output(&h->chunk, &o);
            output_cv(&o, cv);
            uint64_t total = h->chunk.chunk_counter + 1;
            push_cv(h, cv, total);
            chunk_reset(&h->chunk, total);
        }
        if (chunk_len(&h->chunk) == 0 && n > B3_CHUNK_LEN) { /* whole chunks more input follows */
            size_t count = (n - 1) / B3_CHUNK_LEN;
            uint64_t counter = h->chunk.chunk_counter;
            hasher_chunks(h, p, counter, count);
            chunk_reset(&h->chunk, counter + count);
            p += count * B3_CHUNK_LEN;
            n -= count * B3_CHUNK_LEN;
        }
        size_t take = B3_CHUNK_LEN - chunk_len(&h->chunk);
        if (take > n) take = n;
        chunk_update(&h->chunk, p, take);
        p += take;
        n -= take;
    }
}

/* The root node of the input so far: the current chunk merged with every CV on the stack. */
static void hasher_root(const b3_hasher *h, b3_output *o) {
    chunk_output(&h->chunk, o);
    for (uint32_t i = h->stack_len; i > 0; i--) {
        uint32_t cv[8];
        output_cv(o, cv);
        parent_output(h->stack[i - 1], cv, o);
    }
}

static void hasher_final(const b3_hasher *h, uint8_t out[B3_OUT_LEN]) {
    b3_output o;
    hasher_root(h, &o);
    uint32_t words[16];
    compress(o.cv, o.block, o.block_len, 0, o.flags | ROOT, words);
    for (int i = 0; i < 8; i++) ac_put_le32(out + 4 * i, words[i]);
}

/* Extendable output (the spec's section 2.6): the root's compression with the ROOT flag and
 * output block counters 0, 1, 2, ..., each giving all 16 state words (64 bytes), until `len`
 * bytes are written.  Its first 32 bytes are hasher_final's digest. */
static void hasher_xof(const b3_hasher *h, uint8_t *out, size_t len) {
    b3_output o;
    hasher_root(h, &o);
    for (uint64_t counter = 0; len > 0; counter++) {
        uint32_t words[16];
        uint8_t bytes[B3_BLOCK_LEN];
        compress(o.cv, o.block, o.block_len, counter, o.flags | ROOT, words);
        for (int i = 0; i < 16; i++) ac_put_le32(bytes + 4 * i, words[i]);
        size_t take = len < B3_BLOCK_LEN ? len : B3_BLOCK_LEN;
        memcpy(out, bytes, take);
        out += take;
        len -= take;
    }
}

/* ---- ABI entry points -------------------------------------------------------------- */

static b3_hasher g_stream;
static bool g_stream_ready; /* a stream used without ac_hash_init starts empty */

static void b3_one(const uint8_t *in, size_t n, uint8_t digest[B3_OUT_LEN]);

static int b3_hash(const uint8_t *in, size_t n, ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, B3_OUT_LEN);
    if (!d) return out->err;
    b3_one(in, n, d);
    return AC_OK;
}

static int b3_init(void) {
    hasher_init(&g_stream);
    g_stream_ready = true;
    return AC_OK;
}

static int b3_update(const uint8_t *in, size_t n) {
    if (!g_stream_ready) b3_init();
    hasher_update(&g_stream, in, n);
    return AC_OK;
}

static int b3_final(ac_buf *out) {
    if (!g_stream_ready) b3_init();
    uint8_t *d = ac_buf_extend(out, B3_OUT_LEN);
    if (!d) return out->err;
    hasher_final(&g_stream, d);
    b3_init(); /* the next stream starts empty */
    return AC_OK;
}

/* ---- ac_hash_xof / ac_hash_final_xof: digests of any length up to B3_XOF_MAX ---------------
 * Input of both: u32 LE output length (1..B3_XOF_MAX), then (ac_hash_xof) the data.  A length
 * L gives the first L bytes of the extended output, as go-multihash's blake3 Sum(data, L) and
 * Kubo's `block put --mhtype blake3 --mhlen L` make them. */
#define B3_XOF_MAX 65536u

static int b3_xof_len(const uint8_t *in, size_t n, const char *op, uint32_t *len) {
    if (n < 4) return ac_failf(AC_ERR_INVALID, "blake3: %s input starts with a u32 output length", op);
    *len = ac_le32(in);
    if (*len == 0 || *len > B3_XOF_MAX)
        return ac_failf(AC_ERR_INVALID, "blake3: an output of %u bytes asked; it makes 1 to %u", *len, B3_XOF_MAX);
    return AC_OK;
}

static int b3_hash_xof(const uint8_t *in, size_t n, ac_buf *out) {
    uint32_t len;
    AC_TRY(b3_xof_len(in, n, "ac_hash_xof", &len));
    uint8_t *d = ac_buf_extend(out, len);
    if (!d) return out->err;
    b3_hasher h;
    hasher_init(&h);
    hasher_update(&h, in + 4, n - 4);
    hasher_xof(&h, d, len);
    return AC_OK;
}

static int b3_final_xof(const uint8_t *in, size_t n, ac_buf *out) {
    uint32_t len;
    AC_TRY(b3_xof_len(in, n, "ac_hash_final_xof", &len));
    if (n != 4) return ac_fail(AC_ERR_INVALID, "blake3: ac_hash_final_xof takes only the u32 output length");
    if (!g_stream_ready) b3_init();
    uint8_t *d = ac_buf_extend(out, len);
    if (!d) return out->err;
    hasher_xof(&g_stream, d, len);
    b3_init(); /* the next stream starts empty */
    return AC_OK;
}

/* ---- ac_hash_batch: many one-shot hashes per call ------------------------------------
 * Frame: u32 count | count x (u32 len | bytes) -> count x 32-byte digests, in order.
 * An input of at most one chunk is its own root chunk, so four of them with the same number
 * of blocks are hashed together by b4_hash, one per lane (counter 0, CHUNK_START on the first
 * block, CHUNK_END | ROOT and each lane's own length on the last): the lane's CV is its
 * digest, as the scalar path's root output would be.  Such inputs wait in a bucket per block
 * count (1-16) until four are there; what is left at the end goes two to four per b4_hash
 * (idle lanes repeat one and are dropped) or, alone, through the scalar hasher.  Longer
 * inputs take the hasher at once.  An input whose last block is partial is first copied
 * into its lane's zeroed slot (the kernel reads whole blocks; BLAKE3 pads with zeros).
 * Buckets and slots live in the call's arena, not in static memory: the host restores the
 * pages between the lowest and highest a module touches after every call, and a static
 * 64 KiB there would be restored after every one-shot digest too. */
typedef struct {
    const uint8_t *at[4];
    uint32_t len[4];
    uint8_t *digest[4];
    uint32_t n;
} b3_bucket;

/* A batch's lanes, in the call's arena (so a one-shot call's reset never covers them): a
 * bucket per block count and, for each, four slots for zero-padded copies. */
typedef struct {
    b3_bucket bucket[B3_CHUNK_LEN / B3_BLOCK_LEN];
    uint8_t slot[B3_CHUNK_LEN / B3_BLOCK_LEN][4][B3_CHUNK_LEN];
} b3_lanes;

static void b3_one(const uint8_t *in, size_t n, uint8_t digest[B3_OUT_LEN]) {
    b3_hasher h;
    hasher_init(&h);
    hasher_update(&h, in, n);
    hasher_final(&h, digest);
}

/* Hash the bucket's 2-4 inputs of `blocks` blocks each in one b4_hash and empty it. */
static void b3_bucket_flush(b3_bucket *b, uint32_t blocks) {
    const uint8_t *in[4];
    int32_t last[4];
    for (uint32_t k = 0; k < 4; k++) {
        uint32_t lane = k < b->n ? k : b->n - 1;
        in[k] = b->at[lane];
        last[k] = (int32_t)(b->len[lane] - (blocks - 1) * B3_BLOCK_LEN);
    }
    uint32_t cvs[4][8];
    b4_hash(in, blocks, 0, false, 0, CHUNK_START, CHUNK_END | ROOT, wasm_i32x4_make(last[0], last[1], last[2], last[3]),
            cvs);
    for (uint32_t k = 0; k < b->n; k++)
        for (int i = 0; i < 8; i++) ac_put_le32(b->digest[k] + 4 * i, cvs[k][i]);
    b->n = 0;
}

/* Queue one input of at most a chunk; its bucket is hashed once it holds four. */
static void b3_bucket_add(b3_lanes *lanes, const uint8_t *in, uint32_t len, uint8_t *digest) {
    uint32_t blocks = len == 0 ? 1 : (len + B3_BLOCK_LEN - 1) / B3_BLOCK_LEN;
    b3_bucket *b = &lanes->bucket[blocks - 1];
    if (len != blocks * B3_BLOCK_LEN) { /* the last block is partial (or empty): zero-pad a copy */
        uint8_t *slot = lanes->slot[blocks - 1][b->n];
        memcpy(slot, in, len);
        memset(slot + len, 0, blocks * B3_BLOCK_LEN - len);
        in = slot;
    }
    b->at[b->n] = in;
    b->len[b->n] = len;
    b->digest[b->n] = digest;
    if (++b->n == 4) b3_bucket_flush(b, blocks);
}

static int b3_hash_batch(const uint8_t *in, size_t n, ac_buf *out) {
    ac_batch batch;
    AC_TRY(ac_batch_open(&batch, "blake3", in, n));
    uint8_t *d = ac_buf_extend(out, (size_t)batch.count * B3_OUT_LEN);
    if (!d) return out->err;
    b3_lanes *lanes = ac_alloc(sizeof *lanes); /* pages touched only as slots are used */
    if (!lanes) return ac_fail(AC_ERR_NOMEM, "blake3: no room for a batch's lanes");
    for (uint32_t b = 0; b < B3_CHUNK_LEN / B3_BLOCK_LEN; b++) lanes->bucket[b].n = 0;
    for (uint32_t i = 0; i < batch.count; i++, d += B3_OUT_LEN) {
        const uint8_t *p;
        uint32_t len;
        AC_TRY(ac_batch_next(&batch, &p, &len));
        if (len <= B3_CHUNK_LEN)
            b3_bucket_add(lanes, p, len, d);
        else
            b3_one(p, len, d);
    }
    AC_TRY(ac_batch_close(&batch));
    for (uint32_t blocks = 1; blocks <= B3_CHUNK_LEN / B3_BLOCK_LEN; blocks++) {
        b3_bucket *b = &lanes->bucket[blocks - 1];
        if (b->n == 1) {
            b3_one(b->at[0], b->len[0], b->digest[0]);
            b->n = 0;
        } else if (b->n > 1) {
            b3_bucket_flush(b, blocks);
        }
    }
    return AC_OK;
}

AC_EXPORT_HASHER(b3_hash, b3_init, b3_update, b3_final)
AC_EXPORT_HASH_BATCH(b3_hash_batch)
AC_EXPORT_HASH_XOF(b3_hash_xof, b3_final_xof)
