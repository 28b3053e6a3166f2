/*
 * blake3 - the BLAKE3 hash (multihash 0x1e, 32-byte digest) as an autocodec hasher.
 *
 * Written from the BLAKE3 specification (Aumasson, Neves, O'Connor, Wilcox-O'Hearn,
 * "BLAKE3: one function, fast everywhere", 2020, sections 2.1-2.6): only the default
 * `hash` mode (no key, no derive_key) and a 32-byte output.
 *
 * Invariants:
 *   - The input is split into 1024-byte chunks of 64-byte blocks; each chunk is compressed
 *     into a chaining value (CV), and CVs are merged pairwise into a binary tree whose left
 *     subtrees are complete.  A stream keeps only the current chunk (one 64-byte block
 *     buffer) and a stack of at most 54 CVs (2^54 chunks = 2^64 bytes), so its state is
 *     bounded for any input length.
 *   - A chunk or block is finalised only once more input proves it is not the last one
 *     (the last block of the whole input carries the ROOT flag instead of being merged).
 *   - With wasm SIMD128 (build.flags: -msimd128) whole chunks are compressed four at a time
 *     (one chunk per vector lane); the result is bit-identical to the scalar path, which
 *     handles every partial chunk and the tree's parent nodes.
 *   - Stream state lives in static memory (`g_stream`); the one-shot `ac_hash` uses its
 *     own hasher on the stack, so it never disturbs a stream in progress.
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

/* The compression function; writes the full 16-word state into out. */
static void compress(const uint32_t cv[8], const uint8_t block[B3_BLOCK_LEN], uint32_t block_len,
                     uint64_t counter, uint32_t flags, uint32_t out[16]) {
    uint32_t m[16];
    memcpy(m, block, sizeof m); /* wasm32 is little endian, as BLAKE3's words are */
    uint32_t v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3];
    uint32_t v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
    uint32_t v8 = IV[0], v9 = IV[1], v10 = IV[2], v11 = IV[3];
    uint32_t v12 = (uint32_t)counter, v13 = (uint32_t)(counter >> 32), v14 = block_len, v15 = flags;
    for (int r = 0; r < 7; r++) {
        const uint8_t *s = SCHEDULE[r];
        G(v0, v4, v8, v12, m[s[0]], m[s[1]]);
        G(v1, v5, v9, v13, m[s[2]], m[s[3]]);
        G(v2, v6, v10, v14, m[s[4]], m[s[5]]);
        G(v3, v7, v11, v15, m[s[6]], m[s[7]]);
        G(v0, v5, v10, v15, m[s[8]], m[s[9]]);
        G(v1, v6, v11, v12, m[s[10]], m[s[11]]);
        G(v2, v7, v8, v13, m[s[12]], m[s[13]]);
        G(v3, v4, v9, v14, m[s[14]], m[s[15]]);
    }
    out[0] = v0 ^ v8;   out[1] = v1 ^ v9;   out[2] = v2 ^ v10;  out[3] = v3 ^ v11;
    out[4] = v4 ^ v12;  out[5] = v5 ^ v13;  out[6] = v6 ^ v14;  out[7] = v7 ^ v15;
    out[8] = v8 ^ cv[0];  out[9] = v9 ^ cv[1];  out[10] = v10 ^ cv[2]; out[11] = v11 ^ cv[3];
    out[12] = v12 ^ cv[4]; out[13] = v13 ^ cv[5]; out[14] = v14 ^ cv[6]; out[15] = v15 ^ cv[7];
}

#ifdef __wasm_simd128__
/* ---- four chunks at once (wasm SIMD128): lane k of every vector belongs to chunk k ---- */
#include <wasm_simd128.h>

static inline v128_t rot16(v128_t x) {
    return wasm_i8x16_shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
static inline v128_t rot8(v128_t x) {
    return wasm_i8x16_shuffle(x, x, 1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
}
static inline v128_t rot12(v128_t x) { return wasm_v128_or(wasm_u32x4_shr(x, 12), wasm_i32x4_shl(x, 20)); }
static inline v128_t rot7(v128_t x) { return wasm_v128_or(wasm_u32x4_shr(x, 7), wasm_i32x4_shl(x, 25)); }

#define G4(a, b, c, d, x, y)                                                   \
    do {                                                                       \
        a = wasm_i32x4_add(wasm_i32x4_add(a, b), x); d = rot16(wasm_v128_xor(d, a)); \
        c = wasm_i32x4_add(c, d);                    b = rot12(wasm_v128_xor(b, c)); \
        a = wasm_i32x4_add(wasm_i32x4_add(a, b), y); d = rot8(wasm_v128_xor(d, a));  \
        c = wasm_i32x4_add(c, d);                    b = rot7(wasm_v128_xor(b, c));  \
    } while (0)

/* The chaining values of the four consecutive whole chunks at p (chunk counters
 * counter .. counter+3); none of them may be the last chunk of the input. */
static void hash4_chunks(const uint8_t *p, uint64_t counter, uint32_t out[4][8]) {
    v128_t cv[8];
    for (int i = 0; i < 8; i++) cv[i] = wasm_i32x4_splat((int32_t)IV[i]);
    const v128_t ctr_lo = wasm_i32x4_make((int32_t)counter, (int32_t)(counter + 1),
                                          (int32_t)(counter + 2), (int32_t)(counter + 3));
    const v128_t ctr_hi = wasm_i32x4_make((int32_t)(counter >> 32), (int32_t)((counter + 1) >> 32),
                                          (int32_t)((counter + 2) >> 32), (int32_t)((counter + 3) >> 32));
    for (int blk = 0; blk < B3_CHUNK_LEN / B3_BLOCK_LEN; blk++) {
        v128_t m[16];
        for (int j = 0; j < 16; j += 4) { /* 4x4 transpose: words j..j+3 of each chunk's block */
            const uint8_t *q = p + blk * B3_BLOCK_LEN + 4 * j;
            v128_t r0 = wasm_v128_load(q), r1 = wasm_v128_load(q + B3_CHUNK_LEN);
            v128_t r2 = wasm_v128_load(q + 2 * B3_CHUNK_LEN), r3 = wasm_v128_load(q + 3 * B3_CHUNK_LEN);
            v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
            v128_t t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
            m[j] = wasm_i32x4_shuffle(t0, t2, 0, 1, 4, 5);
            m[j + 1] = wasm_i32x4_shuffle(t0, t2, 2, 3, 6, 7);
            m[j + 2] = wasm_i32x4_shuffle(t1, t3, 0, 1, 4, 5);
            m[j + 3] = wasm_i32x4_shuffle(t1, t3, 2, 3, 6, 7);
        }
        uint32_t flags = (blk == 0 ? CHUNK_START : 0) | (blk == 15 ? CHUNK_END : 0);
        v128_t v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7];
        v128_t v8 = wasm_i32x4_splat((int32_t)IV[0]), v9 = wasm_i32x4_splat((int32_t)IV[1]);
        v128_t v10 = wasm_i32x4_splat((int32_t)IV[2]), v11 = wasm_i32x4_splat((int32_t)IV[3]);
        v128_t v12 = ctr_lo, v13 = ctr_hi, v14 = wasm_i32x4_splat(B3_BLOCK_LEN), v15 = wasm_i32x4_splat((int32_t)flags);
        for (int r = 0; r < 7; r++) {
            const uint8_t *s = SCHEDULE[r];
            G4(v0, v4, v8, v12, m[s[0]], m[s[1]]);
            G4(v1, v5, v9, v13, m[s[2]], m[s[3]]);
            G4(v2, v6, v10, v14, m[s[4]], m[s[5]]);
            G4(v3, v7, v11, v15, m[s[6]], m[s[7]]);
            G4(v0, v5, v10, v15, m[s[8]], m[s[9]]);
            G4(v1, v6, v11, v12, m[s[10]], m[s[11]]);
            G4(v2, v7, v8, v13, m[s[12]], m[s[13]]);
            G4(v3, v4, v9, v14, m[s[14]], m[s[15]]);
        }
        cv[0] = wasm_v128_xor(v0, v8); cv[1] = wasm_v128_xor(v1, v9);
        cv[2] = wasm_v128_xor(v2, v10); cv[3] = wasm_v128_xor(v3, v11);
        cv[4] = wasm_v128_xor(v4, v12); cv[5] = wasm_v128_xor(v5, v13);
        cv[6] = wasm_v128_xor(v6, v14); cv[7] = wasm_v128_xor(v7, v15);
    }
    for (int i = 0; i < 8; i++) {
        uint32_t lanes[4];
        wasm_v128_store(lanes, cv[i]);
        for (int k = 0; k < 4; k++) out[k][i] = lanes[k];
    }
}
#define B3_HAVE_HASH4 1
#endif

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

/* Push the CV of a completed chunk; `total` chunks are done so far.  Every trailing zero
 * bit of `total` is a completed subtree to merge with the CV below it on the stack. */
static void push_chunk_cv(b3_hasher *h, uint32_t cv[8], uint64_t total) {
    while ((total & 1) == 0) {
        b3_output o;
        parent_output(h->stack[--h->stack_len], cv, &o);
        output_cv(&o, cv);
        total >>= 1;
    }
    for (int i = 0; i < 8; i++) h->stack[h->stack_len][i] = cv[i];
    h->stack_len++;
}

static void hasher_update(b3_hasher *h, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (chunk_len(&h->chunk) == B3_CHUNK_LEN) { /* more input: the full chunk is not last */
            b3_output o;
            uint32_t cv[8];
            chunk_output(&h->chunk, &o);
            output_cv(&o, cv);
            uint64_t total = h->chunk.chunk_counter + 1;
            push_chunk_cv(h, cv, total);
            chunk_reset(&h->chunk, total);
        }
#ifdef B3_HAVE_HASH4
        /* Four whole chunks straight from the input, while more input follows them. */
        while (chunk_len(&h->chunk) == 0 && n > 4 * B3_CHUNK_LEN) {
            uint32_t cvs[4][8];
            uint64_t counter = h->chunk.chunk_counter;
            hash4_chunks(p, counter, cvs);
            for (int k = 0; k < 4; k++) push_chunk_cv(h, cvs[k], counter + (uint64_t)k + 1);
            chunk_reset(&h->chunk, counter + 4);
            p += 4 * B3_CHUNK_LEN;
            n -= 4 * B3_CHUNK_LEN;
        }
#endif
        size_t take = B3_CHUNK_LEN - chunk_len(&h->chunk);
        if (take > n) take = n;
        chunk_update(&h->chunk, p, take);
        p += take;
        n -= take;
    }
}

static void hasher_final(const b3_hasher *h, uint8_t out[B3_OUT_LEN]) {
    b3_output o;
    chunk_output(&h->chunk, &o);
    for (uint32_t i = h->stack_len; i > 0; i--) {
        uint32_t cv[8];
        output_cv(&o, cv);
        parent_output(h->stack[i - 1], cv, &o);
    }
    uint32_t words[16];
    compress(o.cv, o.block, o.block_len, 0, o.flags | ROOT, words);
    for (int i = 0; i < 8; i++) ac_put_le32(out + 4 * i, words[i]);
}

/* ---- ABI entry points -------------------------------------------------------------- */

static b3_hasher g_stream;
static bool g_stream_ready; /* a stream used without ac_hash_init starts empty */

static int b3_hash(const uint8_t *in, size_t n, ac_buf *out) {
    b3_hasher h;
    hasher_init(&h);
    hasher_update(&h, in, n);
    uint8_t *d = ac_buf_extend(out, B3_OUT_LEN);
    if (!d) return out->err;
    hasher_final(&h, d);
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

AC_EXPORT_HASHER(b3_hash, b3_init, b3_update, b3_final)
