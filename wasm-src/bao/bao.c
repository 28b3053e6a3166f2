/*
 * bao - Bao verified streaming (BLAKE3 tree, 1 KiB chunks) as an autocodec verifier.
 *
 * Written from the Bao specification (the reference implementation's docs/spec.md,
 * oconnor663/bao): the combined encoding is an 8-byte little-endian content length followed
 * by the BLAKE3 tree in pre-order, each parent node being its two children's 32-byte
 * chaining values and each leaf a chunk's bytes; the outboard encoding is the same without
 * the chunks; a slice is the combined encoding reduced to the nodes on the paths to the
 * chunks that overlap a byte range.  A subtree of n > 1 chunks has a left subtree of the
 * largest power of two of chunks below n (BLAKE3's tree, so the root is the BLAKE3 hash).
 *
 * BLAKE3 itself is not copied: wasm-src/blake3/blake3.c is compiled in by the #include below
 * (its hasher exports turned into a no-op), so both modules hash with the same code: its
 * four-way kernel (b4_chunks for whole chunks, b4_level for a row of parents, both wasm SIMD128
 * with unrolled rounds) and its scalar `compress`.  This file holds only what is Bao's: the
 * tree's layout, the encoding and the verification.
 *
 * Exports (docs/abi.md, kind "verifier"):
 *   ac_vfy_init(params)   params = hash[32] | mode u8 (0 combined, 1 outboard, 2 slice)
 *                         | start u64 LE | count u64 LE (count = 2^64-1: to the end)
 *                         [| flags u8: 1 = ranges, see ac_vfy_data; 2 = subtree, followed by
 *                          first u64 | length u64 | tree_at u64 | data_at u64: the stream is
 *                          one subtree of a larger content, without a header: `length` bytes
 *                          of content from chunk `first`, `hash` its (non-root) chaining value,
 *                          start 0 and count 2^64-1; chunk indexes and encoding offsets in
 *                          messages count from `first` and tree_at/data_at; 4 = chunk groups,
 *                          followed (last) by group_log u8 0..8]
 *   ac_vfy_update(frame)  frame = tree_len u32 LE | tree bytes | data bytes.  Combined and
 *                         slice streams go in `data` (tree_len 0); in outboard mode the
 *                         outboard goes in `tree` and the content in `data`.
 *                         Output = tree_used u32 | data_used u32 | need u8 | verified bytes:
 *                         `need` says which stream ran dry (0 tree, 1 data), 2 when the
 *                         encoding is complete, 3 when a node failed its check (the bytes
 *                         returned were verified before it; ac_vfy_final names the failure);
 *                         unused bytes are given again next call.
 *   ac_vfy_tree(bytes)    (optional) outboard bytes held ahead in the guest, at most 256 KiB
 *                         at a time; output = u32 bytes held.
 *   ac_vfy_data(data)     (optional) ac_vfy_update without a frame: the data stream as is, the
 *                         outboard (outboard mode) from what ac_vfy_tree holds; tree_used
 *                         counts held bytes.  With the ranges flag the verified bytes are not
 *                         copied out: the head is followed by offset u32 | length u32 naming
 *                         them inside this call's data (outboard: where they are; combined and
 *                         slice: moved down over the consumed input, so offset 0), no partial
 *                         chunk is buffered (data_used stops before it; the host gives it again
 *                         whole), and the host reads them before its next call.
 *   ac_vfy_final()        OK once every node was verified, an error if the stream ended early.
 *   ac_enc_init(params)   params = content length u64 LE (2^64-1: not known in advance)
 *                         | mode u8 (0 combined, 1 outboard, 2 hash only)
 *                         [| first u64 LE: the content is the subtree from chunk `first`, a
 *                          multiple of 256 (or, for a subtree of at most 256 chunks, of its
 *                          size rounded up to a power of two), of a larger content;
 *                          ac_enc_final then ends with its non-root chaining value instead of
 *                          the root hash] [| group_log u8, 0..8: chunk groups, see below]
 *   ac_enc_update(data)   output = the encoding so far (chunks too in combined mode): each
 *                         aligned group of 256 chunks (a subtree) in pre-order, the parents
 *                         above the groups in post-order; the host writes it after the 8-byte
 *                         header and flips the top of the tree to pre-order (autocodec/bao).
 *   ac_enc_final()        output = the rest (the last group, the top parents), then the
 *                         32-byte root hash.
 *   ac_vfy_parent(params) (optional) params = parent node[64] | flags u8 (1 = root); output =
 *                         the node's 32-byte chaining value (the root hash with flag 1): lets
 *                         the host join subtrees encoded or verified apart (several threads).
 *   ac_vfy_groups()       (optional) output = the largest group_log u8 the init calls take.
 *
 * Chunk groups (group_log g > 0; the format of Iroh's bao-tree crate, fixtures/bao-groups):
 * the same tree and root hash, but a subtree of at most 2^g chunks is one leaf -- its bytes in
 * a row, no parent nodes inside -- in combined and outboard encodings.  In a slice a leaf is
 * a group the checked range covers whole (in chunks); a group it covers in part is sent down
 * to its chunks, with the inner parents on the way (the sender recomputes them).
 *
 * Invariants:
 *   - Verified bytes are returned only after the chunk holding them and every parent on its
 *     path up to the root hash have been checked; at the first mismatch the update stops
 *     (need 3), ac_vfy_final is AC_ERR_INVALID naming the chunk or parent node and its offset
 *     in the encoding, and every later update is refused.
 *   - State is bounded for any content length: a stack of at most 55 pending subtrees, one
 *     64-byte parent buffer and one leaf buffer of at most 256 KiB (statics; one stream per instance).
 *   - The content length comes from the encoding's header and is authenticated by the tree:
 *     a wrong length changes the tree's shape or the last chunk and fails a check.
 *   - Range rule (as the reference's slices): the chunks checked are those overlapping
 *     [start, start+max(count,1)) clamped to the content; a start at or past the end checks
 *     the final chunk.  Bytes returned are [start, start+count) clamped to the content.
 */
#include "ac.h"

#undef AC_EXPORT_HASHER
#define AC_EXPORT_HASHER(hash_fn, init_fn, update_fn, final_fn)                                \
    __attribute__((unused)) static const void *blake3_hasher_fns_[4] = {                      \
        (const void *)hash_fn, (const void *)init_fn, (const void *)update_fn, (const void *)final_fn};
#undef AC_EXPORT_HASH_BATCH
#define AC_EXPORT_HASH_BATCH(batch_fn) \
    __attribute__((unused)) static const void *blake3_batch_fn_ = (const void *)batch_fn;
#undef AC_EXPORT_HASH_XOF
#define AC_EXPORT_HASH_XOF(xof_fn, final_xof_fn) \
    __attribute__((unused)) static const void *blake3_xof_fns_[2] = {(const void *)xof_fn, (const void *)final_xof_fn};
#include "../blake3/blake3.c"

#define BAO_HEADER 8
#define BAO_PARENT 64
#define BAO_MAX_STACK 64
#define ALL ((uint64_t)-1)

enum { MODE_COMBINED = 0, MODE_OUTBOARD = 1, MODE_SLICE = 2, MODE_HASH = 2 };

typedef struct {
    uint32_t cv[8];
    uint64_t first;  /* first chunk index */
    uint64_t n;      /* chunks */
    bool root;
} subtree;

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t chunks_of(uint64_t len) {
    return len == 0 ? 1 : (len - 1) / B3_CHUNK_LEN + 1;
}

static uint64_t left_chunks(uint64_t n) { /* largest power of two strictly below n (n >= 2) */
    uint64_t p = 1;
    while (p * 2 < n) p *= 2;
    return p;
}

static void words_of(const uint8_t *p, uint32_t w[8]) {
    for (int i = 0; i < 8; i++) w[i] = ac_le32(p + 4 * i);
}

static bool same_cv(const uint32_t a[8], const uint32_t b[8]) {
    uint32_t d = 0;
    for (int i = 0; i < 8; i++) d |= a[i] ^ b[i];
    return d == 0;
}

/* The CV (or, with root, the hash words) of one chunk of `len` <= 1024 bytes. */
static void chunk_cv(const uint8_t *p, size_t len, uint64_t index, bool root, uint32_t cv[8]) {
    b3_chunk c;
    b3_output o;
    uint32_t out[16];
    chunk_reset(&c, index);
    chunk_update(&c, p, len);
    chunk_output(&c, &o);
    compress(o.cv, o.block, o.block_len, o.counter, o.flags | (root ? ROOT : 0), out);
    for (int i = 0; i < 8; i++) cv[i] = out[i];
}

static void parent_cv(const uint8_t node[BAO_PARENT], bool root, uint32_t cv[8]) {
    uint32_t out[16];
    compress(IV, node, BAO_PARENT, 0, PARENT | (root ? ROOT : 0), out);
    for (int i = 0; i < 8; i++) cv[i] = out[i];
}

/* ---- decoding (verification) ----------------------------------------------------------- */

#define VFY_RANGES 1u
#define VFY_SUBTREE 2u
#define VFY_GROUPS 4u

static struct {
    bool ready, failed, have_len;
    uint8_t mode;
    uint32_t root[8];
    uint64_t start, count;       /* requested output range */
    uint64_t vs, ve;             /* byte range whose chunks are checked */
    uint64_t len;                /* content length (from the header) */
    uint8_t hdr[BAO_HEADER];
    uint32_t hdr_have;
    subtree stack[BAO_MAX_STACK];
    uint32_t depth;
    uint8_t node[BAO_PARENT];
    uint32_t node_have;
    uint32_t chunk_have;            /* bytes of a leaf buffered in g_leaf */
    uint64_t skip_tree, skip_data;  /* bytes of a subtree outside the range still to drop */
    uint64_t tree_pos, data_pos;    /* bytes consumed from each stream (for messages) */
    const char *fail_what;          /* the first mismatch, once failed */
    uint64_t fail_index, fail_at;
    bool ranges;                    /* report verified bytes as a range of the data input */
    const uint8_t *r_ptr;           /* this call's verified bytes (ranges mode) */
    size_t r_len;
    uint32_t t_have, t_off;         /* held outboard bytes g_tbuf[t_off, t_have) */
    uint64_t base;                  /* chunk index of chunk 0 (a subtree stream), else 0 */
    uint32_t glog;                  /* chunk group log: a leaf holds up to 2^glog chunks */
    uint64_t leaf;                  /* 2^glog */
} V;
#define TREE_CAP (256u * 1024u)
static uint8_t g_tbuf[TREE_CAP];
#define GROUP_LOG_MAX 8u
#define LEAF_MAX (1u << GROUP_LOG_MAX)
static uint8_t g_leaf[LEAF_MAX * B3_CHUNK_LEN];

/* Leaves of an aligned subtree of n >= 1 chunks (a leaf: an aligned run of up to `leaf`). */
static uint64_t leaves_in(uint64_t n, uint64_t leaf) { return (n + leaf - 1) / leaf; }

static char *u64_text(uint64_t v, char buf[24]) {
    char *p = buf + 23;
    *p = 0;
    do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
    return p;
}

/* Record the first mismatch; ac_vfy_final reports it (the update returns what was verified
 * before it, with need = 3). */
static void vfy_fail(const char *what, uint64_t index, uint64_t at) {
    V.failed = true;
    V.fail_what = what;
    V.fail_index = index;
    V.fail_at = at;
}

/* Content bytes [lo, hi) of subtree s (hi clamped to the content length, no overflow). */
static void span(const subtree *s, uint64_t *lo, uint64_t *hi) {
    *lo = s->first * B3_CHUNK_LEN;
    *hi = (s->first + s->n >= chunks_of(V.len)) ? V.len : (s->first + s->n) * B3_CHUNK_LEN;
}

static void vfy_begin(void);

static int vfy_init(const uint8_t *in, size_t n, ac_buf *out) {
    (void)out;
    if (n < 49 || n > 49 + 1 + 32 + 1)
        return ac_fail(AC_ERR_INVALID, "bao: init takes hash[32] mode[1] start[8] count[8] [flags[1] [subtree[32]] [group_log[1]]]");
    memset(&V, 0, sizeof V);
    words_of(in, V.root);
    V.mode = in[32];
    if (V.mode > MODE_SLICE) return ac_fail(AC_ERR_INVALID, "bao: mode must be 0 (combined), 1 (outboard) or 2 (slice)");
    uint8_t flags = n > 49 ? in[49] : 0;
    if (flags & ~(VFY_RANGES | VFY_SUBTREE | VFY_GROUPS)) return ac_fail(AC_ERR_INVALID, "bao: unknown init flags");
    if (n != 49 + (n > 49) + ((flags & VFY_SUBTREE) ? 32u : 0u) + ((flags & VFY_GROUPS) ? 1u : 0u))
        return ac_fail(AC_ERR_INVALID, "bao: the subtree flag goes with first[8] length[8] tree_at[8] data_at[8], the groups flag with group_log[1]");
    V.glog = (flags & VFY_GROUPS) ? in[n - 1] : 0;
    if (V.glog > GROUP_LOG_MAX) return ac_fail(AC_ERR_INVALID, "bao: a chunk group holds at most 2^8 chunks (group_log 0..8)");
    V.leaf = (uint64_t)1 << V.glog;
    V.ranges = (flags & VFY_RANGES) != 0;
    V.start = ac_le64(in + 33);
    V.count = ac_le64(in + 41);
    if (flags & VFY_SUBTREE) {
        uint64_t first = ac_le64(in + 50), len = ac_le64(in + 58);
        if (V.mode == MODE_SLICE) return ac_fail(AC_ERR_INVALID, "bao: a subtree stream is combined or outboard");
        if (V.start != 0 || V.count != ALL) return ac_fail(AC_ERR_INVALID, "bao: a subtree stream is verified whole");
        if (len == 0 || first > ALL / B3_CHUNK_LEN - chunks_of(len))
            return ac_fail(AC_ERR_INVALID, "bao: a subtree holds at least one byte within 2^64 chunks");
        if (first % V.leaf) return ac_fail(AC_ERR_INVALID, "bao: a subtree starts at a chunk group's first chunk");
        V.base = first;
        V.tree_pos = ac_le64(in + 66);
        V.data_pos = ac_le64(in + 74);
        for (int i = 0; i < BAO_HEADER; i++) V.hdr[i] = (uint8_t)(len >> (8 * i));
        V.hdr_have = BAO_HEADER;
        vfy_begin();
        V.stack[0].root = false;
    }
    V.ready = true;
    return AC_OK;
}

/* After the header: the checked range and the root subtree. */
static void vfy_begin(void) {
    V.len = ac_le64(V.hdr);
    V.have_len = true;
    uint64_t total = chunks_of(V.len);
    if (V.start >= V.len) {
        V.vs = (total - 1) * B3_CHUNK_LEN;
        V.ve = V.vs + 1;
    } else {
        uint64_t c = V.count == 0 ? 1 : V.count;
        V.vs = V.start;
        V.ve = (c > V.len - V.start) ? V.len : V.start + c;
    }
    subtree *r = &V.stack[0];
    for (int i = 0; i < 8; i++) r->cv[i] = V.root[i];
    r->first = 0;
    r->n = total;
    r->root = true;
    V.depth = 1;
}

/* Whether subtree s is one leaf of the encoding: a chunk, or with chunk groups a subtree of
 * at most 2^glog chunks -- in a slice only when the checked range covers all its chunks (a
 * group the range covers in part is sent down to its chunks, its inner parents recomputed by
 * the sender, as bao-tree's range encoder does). */
static bool is_leaf(const subtree *s) {
    if (s->n <= 1) return true;
    if (s->n > V.leaf) return false;
    if (V.mode != MODE_SLICE) return true;
    uint64_t lo, hi;
    span(s, &lo, &hi);
    uint64_t clo = V.vs / B3_CHUNK_LEN * B3_CHUNK_LEN;
    uint64_t chi = ((V.ve - 1) / B3_CHUNK_LEN + 1) * B3_CHUNK_LEN;
    return lo >= clo && hi <= chi;
}

static bool overlaps(const subtree *s) {
    uint64_t lo, hi;
    span(s, &lo, &hi);
    if (V.len == 0) return true;
    return lo < V.ve && V.vs < hi;
}

/* Emit the part of chunk `index` (bytes p[0..len)) inside the requested output range. */
static int emit(const uint8_t *p, size_t len, uint64_t index, ac_buf *out) {
    uint64_t lo = index * B3_CHUNK_LEN, hi = lo + len;
    uint64_t os = V.start, oe = (V.count > ALL - V.start) ? ALL : V.start + V.count;
    if (os < lo) os = lo;
    if (oe > hi) oe = hi;
    if (os >= oe) return AC_OK;
    if (V.ranges) {
        const uint8_t *q = p + (os - lo);
        size_t m = (size_t)(oe - os);
        if (V.mode != MODE_OUTBOARD) { /* compacted over the consumed input (never past q) */
            uint8_t *dst = (uint8_t *)(uintptr_t)(V.r_ptr + V.r_len);
            if (dst != q) memmove(dst, q, m);
        } else if (V.r_len == 0) { /* content is contiguous in the data input: a range */
            V.r_ptr = q;
        } else if (q != V.r_ptr + V.r_len) {
            return ac_fail(AC_ERR_INTERNAL, "bao: verified bytes are not contiguous");
        }
        V.r_len += m;
        return AC_OK;
    }
    return ac_buf_put(out, p + (os - lo), (size_t)(oe - os));
}

/* ---- a subtree's levels -----------------------------------------------------------------
 * Rows of CVs from the chunks up: row 0 the chunk CVs, row L+1 = b4_level(row L), up to a row
 * of two (the top parent's children).  In a subtree of n chunks, the parent whose left child
 * holds 2^L chunks from (relative) chunk f has its two children at row L, f >> L and the next:
 * BLAKE3's left subtrees are complete, so pairing from the left rebuilds exactly its tree. */
#define FAST_MAX 256
_Static_assert(LEAF_MAX <= FAST_MAX, "a chunk group's chunks fit the fast path's arrays (leaf_cv uses them)");
typedef struct {
    uint32_t (*row[10])[8];
    uint32_t len[10];
    uint32_t rows;
} b4_tree;

static uint32_t log2_of(uint64_t pow2) {
    uint32_t l = 0;
    while (((uint64_t)1 << l) < pow2) l++;
    return l;
}

/* n >= 2 CVs in `cvs`; rows above go into `scratch` (room for n - 1 rows of 8 words). */
static void b4_build(b4_tree *t, uint32_t (*cvs)[8], uint32_t n, uint32_t (*scratch)[8]) {
    t->row[0] = cvs;
    t->len[0] = n;
    t->rows = 1;
    while (t->len[t->rows - 1] > 2) {
        uint32_t l = t->rows - 1;
        t->row[l + 1] = scratch;
        t->len[l + 1] = b4_level((const uint32_t(*)[8])t->row[l], t->len[l], scratch);
        scratch += t->len[l + 1];
        t->rows++;
    }
}

/* The CV (with root: the hash words) of the top parent. */
static void b4_top(const b4_tree *t, bool root, uint32_t cv[8]) {
    parent_cv((const uint8_t *)t->row[t->rows - 1][0], root, cv);
}

/* The 64-byte parent node over (relative) chunks [first, first + n), n >= 2. */
static const uint8_t *b4_node(const b4_tree *t, uint32_t first, uint32_t n) {
    uint32_t l = log2_of(left_chunks(n));
    return (const uint8_t *)t->row[l][first >> l];
}

static bool same_node(const uint8_t *a, const uint8_t *b) {
    v128_t d = wasm_v128_xor(wasm_v128_load(a), wasm_v128_load(b));
    d = wasm_v128_or(d, wasm_v128_xor(wasm_v128_load(a + 16), wasm_v128_load(b + 16)));
    d = wasm_v128_or(d, wasm_v128_xor(wasm_v128_load(a + 32), wasm_v128_load(b + 32)));
    d = wasm_v128_or(d, wasm_v128_xor(wasm_v128_load(a + 48), wasm_v128_load(b + 48)));
    return !wasm_v128_any_true(d);
}

/* ---- fast path: a whole subtree per step ------------------------------------------------
 * When a subtree of 4..FAST_MAX chunks lies inside the checked range and all its encoded
 * bytes are in this call's input, its chunks are hashed four at a time, its parents level by
 * level four at a time (b4_tree), every parent node in the encoding is compared with the
 * rebuilt one, and the subtree's CV with the expected one.  Any mismatch falls back to the
 * node-by-node path, which finds the first bad node exactly, so failures and their messages
 * do not depend on this path. */
static const uint8_t *g_chunk_at[FAST_MAX];
static const uint8_t *g_parent_at[FAST_MAX];
static uint16_t g_parent_first[FAST_MAX], g_parent_n[FAST_MAX];
static uint32_t g_cvs[FAST_MAX][8];
static uint32_t g_rows[FAST_MAX][8];

typedef struct { const uint8_t *t, *d; uint32_t parents; } fast_cursor;

/* The tree over the n >= 2 chunks at g_chunk_at[0..n) from chunk `index` (the last one
 * `last_len` bytes): their CVs four at a time into g_cvs, then the parents level by level. */
static void chunk_rows(uint32_t n, size_t last_len, uint64_t index, b4_tree *t) {
    uint32_t whole = last_len == B3_CHUNK_LEN ? n : n - 1;
    b4_chunks(g_chunk_at, whole, index, g_cvs);
    if (whole < n) chunk_cv(g_chunk_at[n - 1], last_len, index + n - 1, false, g_cvs[n - 1]);
    b4_build(t, g_cvs, n, g_rows);
}

/* The CV (with root: the hash words) of a leaf: `len` bytes of chunks from chunk `index` (one
 * chunk, or with chunk groups up to LEAF_MAX of them, hashed as their subtree). */
static void leaf_cv(const uint8_t *p, size_t len, uint64_t index, bool root, uint32_t cv[8]) {
    uint32_t n = (uint32_t)chunks_of(len);
    if (n == 1) {
        chunk_cv(p, len, index, root, cv);
        return;
    }
    for (uint32_t i = 0; i < n; i++) g_chunk_at[i] = p + (size_t)i * B3_CHUNK_LEN;
    b4_tree t;
    chunk_rows(n, len - (size_t)(n - 1) * B3_CHUNK_LEN, index, &t);
    b4_top(&t, root, cv);
}

/* Pre-order walk of the subtree (relative chunks [first, first+n)): where each chunk and
 * parent node is in the input. */
static void fast_layout(uint32_t first, uint32_t n, uint64_t base, bool outboard, fast_cursor *c) {
    if (n <= V.leaf) { /* a leaf: its chunks in a row */
        uint64_t lo = (base + first) * B3_CHUNK_LEN, bytes = (uint64_t)n * B3_CHUNK_LEN;
        for (uint32_t i = 0; i < n; i++) g_chunk_at[first + i] = c->d + (size_t)i * B3_CHUNK_LEN;
        c->d += (V.len - lo) < bytes ? (size_t)(V.len - lo) : (size_t)bytes;
        return;
    }
    g_parent_first[c->parents] = (uint16_t)first;
    g_parent_n[c->parents] = (uint16_t)n;
    if (outboard) { g_parent_at[c->parents++] = c->t; c->t += BAO_PARENT; }
    else { g_parent_at[c->parents++] = c->d; c->d += BAO_PARENT; }
    uint32_t ln = (uint32_t)left_chunks(n);
    fast_layout(first, ln, base, outboard, c);
    fast_layout(first + ln, n - ln, base, outboard, c);
}

/* Try subtree s from the input at (*tp, *dp); true when it was verified and emitted. */
static bool fast_subtree(const subtree *s, const uint8_t **tp, size_t *tn, const uint8_t **dp, size_t *dn,
                         ac_buf *out, int *status) {
    uint64_t lo, hi;
    span(s, &lo, &hi);
    if (s->n < 4 || s->n > FAST_MAX || lo < V.vs || hi > V.ve || V.len == 0) return false;
    bool outboard = V.mode == MODE_OUTBOARD;
    uint64_t parents = (leaves_in(s->n, V.leaf) - 1) * BAO_PARENT;
    if (outboard ? (*tn < parents || *dn < hi - lo) : (*dn < parents + (hi - lo))) return false;
    uint32_t n = (uint32_t)s->n;
    fast_cursor c = {*tp, *dp, 0};
    fast_layout(0, n, s->first, outboard, &c);
    size_t last_len = (size_t)(hi - lo) - (size_t)(n - 1) * B3_CHUNK_LEN;
    b4_tree t;
    chunk_rows(n, last_len, V.base + s->first, &t);
    for (uint32_t i = 0; i < c.parents; i++)
        if (!same_node(g_parent_at[i], b4_node(&t, g_parent_first[i], g_parent_n[i]))) return false;
    uint32_t cv[8];
    b4_top(&t, s->root, cv);
    if (!same_cv(cv, s->cv)) return false;
    if (outboard) {
        int st = emit(*dp, (size_t)(hi - lo), s->first, out);
        if (st) { *status = st; return true; }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            int st = emit(g_chunk_at[i], i + 1 < n ? B3_CHUNK_LEN : last_len, s->first + i, out);
            if (st) { *status = st; return true; }
        }
    }
    if (outboard) { *tp += parents; *tn -= parents; V.tree_pos += parents; }
    else { *dp += parents; *dn -= parents; V.data_pos += parents; }
    *dp += hi - lo; *dn -= hi - lo; V.data_pos += hi - lo;
    return true;
}
/* One verification step over tree bytes t[0..tl) and data bytes d[0..dl); writes the head
 * (tree_used, data_used, need) and the verified bytes, or in ranges mode their range. */
static int vfy_run(const uint8_t *t, size_t tl, const uint8_t *d, size_t dl, ac_buf *out) {
    if (!V.ready) return ac_fail(AC_ERR_INVALID, "bao: ac_vfy_init was not called");
    if (V.failed) return ac_fail(AC_ERR_INVALID, "bao: the stream already failed verification");
    const uint8_t *tp = t, *dp = d;
    size_t tn = tl, dn = dl;
    V.r_ptr = d;
    V.r_len = 0;
    /* in combined and slice modes the one stream is `data`, and tree reads come from it */
    const uint8_t **np = V.mode == MODE_OUTBOARD ? &tp : &dp;
    size_t *nn = V.mode == MODE_OUTBOARD ? &tn : &dn;
    uint64_t *npos = V.mode == MODE_OUTBOARD ? &V.tree_pos : &V.data_pos;
    uint8_t *head = ac_buf_extend(out, 9);
    if (!head) return out->err;
    uint8_t need = 2;
    for (;;) {
        if (!V.have_len) {
            size_t take = BAO_HEADER - V.hdr_have;
            if (take > *nn) take = *nn;
            memcpy(V.hdr + V.hdr_have, *np, take);
            V.hdr_have += (uint32_t)take; *np += take; *nn -= take; *npos += take;
            if (V.hdr_have < BAO_HEADER) { need = V.mode == MODE_OUTBOARD ? 0 : 1; break; }
            vfy_begin();
        }
        if (V.skip_tree) {
            size_t take = V.skip_tree < tn ? (size_t)V.skip_tree : tn;
            tp += take; tn -= take; V.skip_tree -= take; V.tree_pos += take;
            if (V.skip_tree) { need = 0; break; }
        }
        if (V.skip_data) {
            size_t take = V.skip_data < dn ? (size_t)V.skip_data : dn;
            dp += take; dn -= take; V.skip_data -= take; V.data_pos += take;
            if (V.skip_data) { need = 1; break; }
        }
        if (V.depth == 0) { need = 2; break; }
        subtree *s = &V.stack[V.depth - 1];
        if (!overlaps(s)) {
            if (V.mode != MODE_SLICE) { /* drop its bytes unchecked: they are outside the range */
                uint64_t lo, hi;
                span(s, &lo, &hi);
                uint64_t parents = (leaves_in(s->n, V.leaf) - 1) * BAO_PARENT;
                if (V.mode == MODE_OUTBOARD) { V.skip_tree = parents; V.skip_data = hi - lo; }
                else V.skip_data = parents + (hi - lo);
            }
            V.depth--;
            continue;
        }
        if (V.node_have == 0 && V.chunk_have == 0) {
            int st = AC_OK;
            if (fast_subtree(s, &tp, &tn, &dp, &dn, out, &st)) {
                if (st) return st;
                V.depth--;
                continue;
            }
        }
        if (!is_leaf(s)) {
            const uint8_t *node;
            if (V.ranges && dn == 0) { need = 1; break; } /* its data first: a later call takes it whole */
            if (V.node_have == 0 && *nn >= BAO_PARENT) {
                node = *np;
            } else {
                size_t take = BAO_PARENT - V.node_have;
                if (take > *nn) take = *nn;
                memcpy(V.node + V.node_have, *np, take);
                V.node_have += (uint32_t)take; *np += take; *nn -= take; *npos += take;
                if (V.node_have < BAO_PARENT) { need = V.mode == MODE_OUTBOARD ? 0 : 1; break; }
                node = V.node;
            }
            uint32_t cv[8];
            parent_cv(node, s->root, cv);
            uint64_t at = *npos - (node == V.node ? BAO_PARENT : 0);
            if (!same_cv(cv, s->cv)) { vfy_fail("parent node over chunk", V.base + s->first, at); need = 3; break; }
            if (node != V.node) { *np += BAO_PARENT; *nn -= BAO_PARENT; *npos += BAO_PARENT; }
            V.node_have = 0;
            uint64_t ln = left_chunks(s->n);
            subtree left, right;
            words_of(node, left.cv);
            words_of(node + 32, right.cv);
            left.first = s->first; left.n = ln; left.root = false;
            right.first = s->first + ln; right.n = s->n - ln; right.root = false;
            V.stack[V.depth - 1] = right;
            V.stack[V.depth++] = left;
            continue;
        }
        /* a leaf: one chunk, or a chunk group */
        uint64_t lo, hi;
        span(s, &lo, &hi);
        size_t clen = (size_t)(hi - lo);
        const uint8_t *chunk;
        if (V.chunk_have == 0 && dn >= clen) {
            chunk = dp;
        } else if (V.ranges) { /* no buffering: the leaf comes whole in a later call */
            need = 1;
            break;
        } else {
            size_t take = clen - V.chunk_have;
            if (take > dn) take = dn;
            memcpy(g_leaf + V.chunk_have, dp, take);
            V.chunk_have += (uint32_t)take; dp += take; dn -= take; V.data_pos += take;
            if (V.chunk_have < clen) { need = 1; break; }
            chunk = g_leaf;
        }
        uint32_t cv[8];
        leaf_cv(chunk, clen, V.base + s->first, s->root, cv);
        uint64_t at = V.data_pos - (chunk == g_leaf ? clen : 0);
        if (!same_cv(cv, s->cv)) {
            vfy_fail(V.leaf > 1 ? "chunk group from chunk" : "chunk", V.base + s->first, at);
            need = 3;
            break;
        }
        AC_TRY(emit(chunk, clen, s->first, out));
        if (chunk != g_leaf) { dp += clen; dn -= clen; V.data_pos += clen; }
        V.chunk_have = 0;
        V.depth--;
    }
    head = out->data; /* the 9-byte head is at the buffer's start (it may have moved) */
    ac_put_le32(head, (uint32_t)(tp - t));
    ac_put_le32(head + 4, (uint32_t)(dp - d));
    head[8] = need;
    if (V.ranges) {
        uint8_t *r = ac_buf_extend(out, 8);
        if (!r) return out->err;
        ac_put_le32(r, (uint32_t)(V.r_ptr - d));
        ac_put_le32(r + 4, (uint32_t)V.r_len);
    }
    return AC_OK;
}

/* ac_vfy_update: frame = tree_len u32 | tree | data. */
static int vfy_update(const uint8_t *in, size_t n, ac_buf *out) {
    if (n < 4) return ac_fail(AC_ERR_INVALID, "bao: update frame shorter than its tree length");
    uint32_t tl = ac_le32(in);
    if (tl > n - 4) return ac_fail(AC_ERR_INVALID, "bao: update frame's tree length is past its end");
    if (V.mode != MODE_OUTBOARD && tl != 0)
        return ac_fail(AC_ERR_INVALID, "bao: only the outboard mode takes a separate tree stream");
    if (V.t_have != V.t_off) return ac_fail(AC_ERR_INVALID, "bao: outboard bytes given by ac_vfy_tree are still held");
    return vfy_run(in + 4, tl, in + 4 + tl, n - 4 - tl, out);
}

/* ac_vfy_tree: append outboard bytes to the held tree (at most TREE_CAP); output u32 held. */
static int vfy_tree(const uint8_t *in, size_t n, ac_buf *out) {
    if (!V.ready) return ac_fail(AC_ERR_INVALID, "bao: ac_vfy_init was not called");
    if (V.mode != MODE_OUTBOARD) return ac_fail(AC_ERR_INVALID, "bao: only the outboard mode takes a separate tree stream");
    uint32_t held = V.t_have - V.t_off;
    if (n > TREE_CAP - held) return ac_fail(AC_ERR_INVALID, "bao: more outboard bytes than the tree buffer holds");
    if (V.t_off) memmove(g_tbuf, g_tbuf + V.t_off, held);
    memcpy(g_tbuf + held, in, n);
    V.t_off = 0;
    V.t_have = held + (uint32_t)n;
    uint8_t *p = ac_buf_extend(out, 4);
    if (!p) return out->err;
    ac_put_le32(p, V.t_have);
    return AC_OK;
}

/* ac_vfy_data: data bytes; in outboard mode the tree comes from what ac_vfy_tree held. */
static int vfy_data(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(vfy_run(g_tbuf + V.t_off, V.t_have - V.t_off, in, n, out));
    V.t_off += ac_le32(out->data);
    return AC_OK;
}

static int vfy_final(ac_buf *out) {
    (void)out;
    if (!V.ready) return ac_fail(AC_ERR_INVALID, "bao: ac_vfy_init was not called");
    if (V.failed) {
        char a[24], b[24];
        return ac_failf(AC_ERR_INVALID, "bao: %s %s (encoding offset %s) does not match the root hash",
                        V.fail_what, u64_text(V.fail_index, a), u64_text(V.fail_at, b));
    }
    if (!V.have_len) return ac_fail(AC_ERR_INVALID, "bao: the encoding ended inside its 8-byte length header");
    if (V.depth || V.skip_tree || V.skip_data) {
        char a[24];
        return ac_failf(AC_ERR_INVALID, "bao: the encoding ended early (after %s encoded bytes)",
                        u64_text(V.data_pos + V.tree_pos, a));
    }
    return AC_OK;
}

/* ---- encoding --------------------------------------------------------------------------
 * Chunks are gathered in aligned groups of GROUP chunks (every such group is a subtree of
 * Bao's tree, and so is the last, partial one).  A complete group is emitted at once in
 * pre-order (its parents before its children); the parents above the groups are emitted in
 * post-order as the groups merge, so the host flips only the top of the tree, treating each
 * group as one block (autocodec/bao/_tree.py, GROUP_CHUNKS). */
#define GROUP 256

static struct {
    bool ready;
    uint8_t mode;
    uint64_t len, fed;
    b3_chunk chunk;            /* the chunk being filled (the last one stays here at final) */
    uint64_t group_first;      /* chunk index of the group's first chunk */
    uint32_t group_n;          /* completed chunks in the group */
    uint32_t stack[B3_MAX_DEPTH + 1][8]; /* CVs of completed groups' subtrees awaiting merge */
    uint32_t depth;
    uint64_t base;             /* chunk index of chunk 0 (a subtree), else 0 */
    bool subtree;              /* final gives the non-root chaining value */
    uint32_t leaf;             /* chunks per leaf (2^group_log): no parents inside a leaf */
} E;
static uint32_t g_gcv[GROUP][8];
static uint8_t g_gdata[GROUP * B3_CHUNK_LEN];
/* Where the current group's chunk bytes are read from when it is emitted: g_gdata, or the
 * caller's input itself while one update call holds the whole group (emitted before that
 * call returns, so the input is still there; saves copying every byte of a combined
 * encoding once). */
static const uint8_t *g_gsrc = g_gdata;

static int put_parent(const uint32_t l[8], const uint32_t r[8], ac_buf *out) {
    if (E.mode != MODE_COMBINED && E.mode != MODE_OUTBOARD) return AC_OK;
    uint8_t *p = ac_buf_extend(out, BAO_PARENT);
    if (!p) return out->err;
    for (int i = 0; i < 8; i++) { ac_put_le32(p + 4 * i, l[i]); ac_put_le32(p + 32 + 4 * i, r[i]); }
    return AC_OK;
}

static int enc_init(const uint8_t *in, size_t n, ac_buf *out) {
    (void)out;
    if (n != 9 && n != 10 && n != 17 && n != 18)
        return ac_fail(AC_ERR_INVALID, "bao: encode init takes length[8] mode[1] [first[8]] [group_log[1]]");
    memset(&E, 0, sizeof E);
    g_gsrc = g_gdata;
    E.len = ac_le64(in);
    E.mode = in[8];
    if (E.mode > MODE_HASH) return ac_fail(AC_ERR_INVALID, "bao: encode mode must be 0, 1 or 2");
    uint32_t glog = (n == 10 || n == 18) ? in[n - 1] : 0;
    if (glog > GROUP_LOG_MAX) return ac_fail(AC_ERR_INVALID, "bao: a chunk group holds at most 2^8 chunks (group_log 0..8)");
    E.leaf = 1u << glog;
    if (n >= 17) {
        E.base = ac_le64(in + 9);
        E.subtree = true;
        if (E.len == 0 || E.len == ALL || E.base > ALL / B3_CHUNK_LEN - chunks_of(E.len))
            return ac_fail(AC_ERR_INVALID, "bao: a subtree to encode has a known length of at least one byte");
        /* 256-chunk aligned, or a subtree of at most 256 chunks aligned to its own size (one
         * encoder group: a chunk group whose inner nodes a slice needs) */
        uint64_t c = chunks_of(E.len), size = 1;
        while (size < c) size *= 2;
        if (E.base % GROUP && (c > GROUP || E.base % size))
            return ac_fail(AC_ERR_INVALID, "bao: a subtree to encode starts at a multiple of 256 chunks, or of its own size up to 256");
    }
    E.group_first = E.base;
    chunk_reset(&E.chunk, E.base);
    E.ready = true;
    return AC_OK;
}

/* Encoded bytes of group chunks [first, first+n) (local indexes); `last_len` is the length of
 * the group's final chunk when the group ends the content (else every chunk is whole). */
static size_t group_size(uint32_t first, uint32_t n, uint32_t total, size_t last_len) {
    size_t parents = (size_t)(leaves_in(n, E.leaf) - 1) * BAO_PARENT;
    if (E.mode != MODE_COMBINED) return parents;
    size_t bytes = (size_t)n * B3_CHUNK_LEN;
    if (first + n == total) bytes = bytes - B3_CHUNK_LEN + last_len;
    return parents + bytes;
}

/* Write group chunks [first, first+n) in pre-order at dst from the group's rebuilt tree;
 * returns the end of what was written.  Chunks are copied in combined mode only. */
static uint8_t *group_write(const b4_tree *t, uint32_t first, uint32_t n, uint32_t total, size_t last_len,
                            uint8_t *dst) {
    if (n <= E.leaf) { /* a leaf: its chunks in a row */
        if (E.mode != MODE_COMBINED) return dst;
        size_t len = (size_t)n * B3_CHUNK_LEN;
        if (first + n == total) len = len - B3_CHUNK_LEN + last_len;
        memcpy(dst, g_gsrc + (size_t)first * B3_CHUNK_LEN, len);
        return dst + len;
    }
    memcpy(dst, b4_node(t, first, n), BAO_PARENT);
    uint32_t ln = (uint32_t)left_chunks(n);
    dst = group_write(t, first, ln, total, last_len, dst + BAO_PARENT);
    return group_write(t, first + ln, n - ln, total, last_len, dst);
}

/* Emit the current group (pre-order); give its CV (or the root hash if it is the whole tree).
 * `final` marks the group that ends the content: its last chunk is E.chunk. */
static int group_emit(bool final, bool root, uint32_t cv[8], ac_buf *out) {
    uint32_t total = E.group_n + (final ? 1 : 0);
    size_t last_len = final ? chunk_len(&E.chunk) : B3_CHUNK_LEN;
    if (final) {
        b3_output o;
        uint32_t words[16];
        chunk_output(&E.chunk, &o);
        compress(o.cv, o.block, o.block_len, o.counter, o.flags | (root && total == 1 ? ROOT : 0), words);
        memcpy(g_gcv[total - 1], words, 32);
    }
    bool write = E.mode == MODE_COMBINED || E.mode == MODE_OUTBOARD;
    size_t size = group_size(0, total, total, last_len);
    uint8_t *dst = NULL;
    if (write && size > 0) {
        dst = ac_buf_extend(out, size);
        if (!dst) return out->err ? out->err : AC_ERR_NOMEM;
    }
    if (total == 1) {
        memcpy(cv, g_gcv[0], 32);
        if (dst) memcpy(dst, g_gsrc, last_len);
        return AC_OK;
    }
    b4_tree t;
    b4_build(&t, g_gcv, total, g_rows);
    b4_top(&t, root, cv);
    if (dst) group_write(&t, 0, total, total, last_len, dst);
    return AC_OK;
}

/* A non-final full group is done: emit it and merge it into the stack (post-order parents). */
static int group_done(ac_buf *out) {
    uint32_t cv[8];
    AC_TRY(group_emit(false, false, cv, out));
    uint64_t total = (E.group_first - E.base) / GROUP + 1; /* groups completed so far */
    while ((total & 1) == 0) {
        uint32_t *l = E.stack[--E.depth];
        AC_TRY(put_parent(l, cv, out));
        b3_output o;
        parent_output(l, cv, &o);
        output_cv(&o, cv);
        total >>= 1;
    }
    for (int i = 0; i < 8; i++) E.stack[E.depth][i] = cv[i];
    E.depth++;
    E.group_first += GROUP;
    E.group_n = 0;
    return AC_OK;
}

/* Chunk `E.group_n` of the group is complete with CV cv; more content follows it. */
static int chunk_done(const uint32_t cv[8], ac_buf *out) {
    for (int i = 0; i < 8; i++) g_gcv[E.group_n][i] = cv[i];
    E.group_n++;
    if (E.group_n == GROUP) return group_done(out);
    return AC_OK;
}

static int enc_update(const uint8_t *in, size_t n, ac_buf *out) {
    if (!E.ready) return ac_fail(AC_ERR_INVALID, "bao: ac_enc_init was not called");
    if (E.len != ALL && n > E.len - E.fed) return ac_fail(AC_ERR_INVALID, "bao: more content than the declared length");
    bool keep = E.mode == MODE_COMBINED;
    while (n > 0) {
        size_t have = chunk_len(&E.chunk);
        if (have == B3_CHUNK_LEN) { /* full, and more content follows: not the last chunk */
            b3_output o;
            uint32_t cv[8];
            chunk_output(&E.chunk, &o);
            output_cv(&o, cv);
            AC_TRY(chunk_done(cv, out));
            chunk_reset(&E.chunk, E.group_first + E.group_n);
            have = 0;
        }
        /* every whole chunk that more content follows, up to the group's end, four at a time */
        size_t room = E.len == ALL ? (n - 1) / B3_CHUNK_LEN
                                   : (size_t)((E.len - E.fed - 1) / B3_CHUNK_LEN < n / B3_CHUNK_LEN
                                                  ? (E.len - E.fed - 1) / B3_CHUNK_LEN : n / B3_CHUNK_LEN);
        if (have == 0 && room > 0) {
            uint32_t k = room < GROUP - E.group_n ? (uint32_t)room : GROUP - E.group_n;
            for (uint32_t i = 0; i < k; i++) g_chunk_at[i] = in + (size_t)i * B3_CHUNK_LEN;
            b4_chunks(g_chunk_at, k, E.group_first + E.group_n, g_gcv + E.group_n);
            bool whole = E.group_n == 0 && k == GROUP; /* the group is all in this input */
            if (keep && whole) g_gsrc = in;
            else if (keep) memcpy(g_gdata + (size_t)E.group_n * B3_CHUNK_LEN, in, (size_t)k * B3_CHUNK_LEN);
            in += (size_t)k * B3_CHUNK_LEN; n -= (size_t)k * B3_CHUNK_LEN; E.fed += (uint64_t)k * B3_CHUNK_LEN;
            E.group_n += k;
            if (E.group_n == GROUP) {
                int rc = group_done(out);
                g_gsrc = g_gdata;
                if (rc != AC_OK) return rc;
            }
            chunk_reset(&E.chunk, E.group_first + E.group_n);
            continue;
        }
        size_t take = B3_CHUNK_LEN - have;
        if (take > n) take = n;
        chunk_update(&E.chunk, in, take);
        if (keep) memcpy(g_gdata + (size_t)E.group_n * B3_CHUNK_LEN + have, in, take);
        in += take; n -= take; E.fed += take;
    }
    return AC_OK;
}

static int enc_final(ac_buf *out) {
    if (!E.ready) return ac_fail(AC_ERR_INVALID, "bao: ac_enc_init was not called");
    if (E.len != ALL && E.fed != E.len) {
        char a[24];
        return ac_failf(AC_ERR_INVALID, "bao: content ended after %s of the declared bytes", u64_text(E.fed, a));
    }
    uint32_t cv[8];
    AC_TRY(group_emit(true, E.depth == 0 && !E.subtree, cv, out));
    for (uint32_t i = E.depth; i > 0; i--) {
        uint8_t node[BAO_PARENT];
        AC_TRY(put_parent(E.stack[i - 1], cv, out));
        for (int k = 0; k < 8; k++) { ac_put_le32(node + 4 * k, E.stack[i - 1][k]); ac_put_le32(node + 32 + 4 * k, cv[k]); }
        parent_cv(node, i == 1 && !E.subtree, cv);
    }
    uint8_t *d = ac_buf_extend(out, B3_OUT_LEN);
    if (!d) return out->err;
    for (int i = 0; i < 8; i++) ac_put_le32(d + 4 * i, cv[i]);
    E.ready = false;
    return AC_OK;
}

/* ac_vfy_parent: node[64] | flags u8 (1 = root) -> the node's chaining value (32 bytes). */
static int vfy_parent(const uint8_t *in, size_t n, ac_buf *out) {
    if (n != BAO_PARENT + 1 || in[BAO_PARENT] > 1) return ac_fail(AC_ERR_INVALID, "bao: parent takes node[64] flags[1] (1 = root)");
    uint32_t cv[8];
    parent_cv(in, in[BAO_PARENT] == 1, cv);
    uint8_t *d = ac_buf_extend(out, 32);
    if (!d) return out->err;
    for (int i = 0; i < 8; i++) ac_put_le32(d + 4 * i, cv[i]);
    return AC_OK;
}

/* ac_vfy_groups: no params -> the largest group_log the init calls take (u8). */
static int vfy_groups(const uint8_t *in, size_t n, ac_buf *out) {
    (void)in;
    if (n != 0) return ac_fail(AC_ERR_INVALID, "bao: groups takes no params");
    return ac_buf_put(out, (const uint8_t[]){GROUP_LOG_MAX}, 1);
}

AC_EXPORT(ac_vfy_init) int ac_vfy_init(const uint8_t *p, size_t n) { return ac__run(vfy_init, p, n); }
AC_EXPORT(ac_vfy_update) int ac_vfy_update(const uint8_t *p, size_t n) { return ac__run(vfy_update, p, n); }
AC_EXPORT(ac_vfy_final) int ac_vfy_final(void) { return ac__run0(vfy_final); }
/* optional verifier exports (docs/abi.md), not declared in ac.h */
int ac_vfy_tree(const uint8_t *p, size_t n);
int ac_vfy_data(const uint8_t *p, size_t n);
int ac_vfy_parent(const uint8_t *p, size_t n);
int ac_vfy_groups(const uint8_t *p, size_t n);
AC_EXPORT(ac_vfy_groups) int ac_vfy_groups(const uint8_t *p, size_t n) { return ac__run(vfy_groups, p, n); }
AC_EXPORT(ac_vfy_parent) int ac_vfy_parent(const uint8_t *p, size_t n) { return ac__run(vfy_parent, p, n); }
AC_EXPORT(ac_vfy_tree) int ac_vfy_tree(const uint8_t *p, size_t n) { return ac__run(vfy_tree, p, n); }
AC_EXPORT(ac_vfy_data) int ac_vfy_data(const uint8_t *p, size_t n) { return ac__run(vfy_data, p, n); }
AC_EXPORT(ac_enc_init) int ac_enc_init(const uint8_t *p, size_t n) { return ac__run(enc_init, p, n); }
AC_EXPORT(ac_enc_update) int ac_enc_update(const uint8_t *p, size_t n) { return ac__run(enc_update, p, n); }
AC_EXPORT(ac_enc_final) int ac_enc_final(void) { return ac__run0(enc_final); }
