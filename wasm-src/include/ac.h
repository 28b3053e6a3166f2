/*
 * ac.h - the whole world of an autocodec guest module (ABI v1, see docs/abi.md).
 *
 * A module is freestanding C compiled to wasm32 with no libc and no imports.  This header
 * and lib/ac.c (linked into every module by wasm-src/build.py) provide:
 *
 *   - status codes and the error return  (ac_fail, ac_failf)
 *   - the per-call arena                 (ac_alloc, ac_mark/ac_release)
 *   - the result slot                    (ac_set_result)
 *   - a growable output buffer           (ac_buf, ac_buf_*)
 *   - a canonical DAG-CBOR writer        (acw_*)
 *   - a strict, bounds-checked DAG-CBOR reader (acr_*)
 *   - varint / CID / little-endian helpers (ac_varint_*, ac_cid_v1, ac_le32 ...)
 *   - the reader of ac_hash_batch's frame  (ac_batch_*)
 *   - export macros generating the ABI entry points of each module kind (AC_EXPORT_*)
 *
 * Invariants:
 *   - All per-call memory comes from the arena; ac_input() resets it, so nothing
 *     allocated in one call survives into the next.  Streaming state (hashers, chunkers)
 *     must live in static variables.
 *   - ac_alloc never traps: it returns NULL when linear memory cannot grow.
 *   - Errors are sticky: an ac_buf or acr that failed keeps its first status (and the
 *     result slot keeps its message); later writes/reads on it are no-ops returning it.
 *   - The reader never reads outside [start, end) and bounds every length by the bytes
 *     actually left, so hostile lengths cannot cause huge allocations.
 *   - Every ac_* / acw_* / acr_* function is compiled into each module: changing lib/ac.c
 *     changes every module's bytes (and CID), so `python wasm-src/build.py` must be rerun
 *     for all modules after a library change.
 *   - The shadow stack (256 KiB) sits below static data, so overflowing it traps instead
 *     of corrupting memory; acr_walk keeps its AC_MAX_DEPTH-level state there (~25 KiB).
 *   - Writer output is canonical DAG-CBOR *provided* the module emits map keys in
 *     canonical order: shorter keys first, equal lengths bytewise (ac_key_cmp,
 *     ac_sort_keys help).  acw_map_key checks that order and fails AC_ERR_INTERNAL.
 */
#ifndef AC_H
#define AC_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define AC_ABI_VERSION 1

/* ---- status codes (docs/abi.md section 2) ------------------------------------------ */
enum {
    AC_OK = 0,
    AC_ERR_INVALID = 1,     /* malformed input */
    AC_ERR_UNSUPPORTED = 2, /* valid input the module does not handle */
    AC_ERR_NOMEM = 3,       /* the arena could not grow */
    AC_ERR_INTERNAL = 4,    /* a bug in the module */
};

/* Propagate a non-zero status: AC_TRY(acr_uint(&r, &v)); */
#define AC_TRY(expr) do { int ac__st = (expr); if (ac__st) return ac__st; } while (0)

#define AC_EXPORT(name) __attribute__((export_name(#name), visibility("default")))

/* ---- memory primitives (the compiler emits calls to these, so they are real) -------- */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t ac_strlen(const char *s);

/* ---- result slot and errors --------------------------------------------------------- */
/* Point the result slot {u32 ptr; u32 len} at [p, p+n). */
void ac_set_result(const void *p, size_t n);
/* Set the result to a UTF-8 message (copied into the arena) and return status. */
int ac_fail(int status, const char *msg);
/* Like ac_fail with a tiny formatter: %s %.*s (int length, then pointer) %d %u %x %zu
 * %ld %lu %lld %llu %llx %c %%.  Messages longer than 511 bytes are truncated. */
int ac_failf(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Format into dst (always NUL-terminated when cap > 0); returns bytes written w/o NUL. */
size_t ac_vformat(char *dst, size_t cap, const char *fmt, va_list ap);

/* ---- arena ---------------------------------------------------------------------------- */
/* n bytes, 8-aligned, from the per-call arena; NULL when memory cannot grow. */
void *ac_alloc(size_t n);
void *ac_calloc(size_t n);
/* Current arena top; ac_release(mark) frees everything allocated after ac_mark(). */
uintptr_t ac_mark(void);
void ac_release(uintptr_t mark);
/* Reset the arena (done by ac_input) and allocate n input bytes there. */
void *ac_arena_reset(size_t n);

/* ---- growable output buffer ------------------------------------------------------------ */
typedef struct ac_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int err; /* sticky status, 0 while healthy */
} ac_buf;

void ac_buf_init(ac_buf *b);
/* Ensure room for n more bytes; returns AC_OK or AC_ERR_NOMEM (then b->err is set). */
int ac_buf_reserve(ac_buf *b, size_t n);
/* Append n bytes; returns a pointer to them (NULL on failure, b->err set). */
uint8_t *ac_buf_extend(ac_buf *b, size_t n);
int ac_buf_put(ac_buf *b, const void *p, size_t n);
int ac_buf_byte(ac_buf *b, uint8_t c);
/* Record a failure on the buffer (keeps the first) and return b->err. */
int ac_buf_fail(ac_buf *b, int status, const char *msg);

/* ---- little endian, varint, hex, CID ----------------------------------------------------- */
static inline uint32_t ac_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t ac_le64(const uint8_t *p) {
    return (uint64_t)ac_le32(p) | (uint64_t)ac_le32(p + 4) << 32;
}
static inline void ac_put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void ac_put_le64(uint8_t *p, uint64_t v) {
    ac_put_le32(p, (uint32_t)v); ac_put_le32(p + 4, (uint32_t)(v >> 32));
}
int ac_buf_le32(ac_buf *b, uint32_t v);
int ac_buf_le64(ac_buf *b, uint64_t v);

/* Unsigned varint (multiformats): minimal, at most 9 bytes (63 bits). */
int ac_buf_varint(ac_buf *b, uint64_t v);
/* Decode at *p (< end); on success advances *p. Returns AC_OK or AC_ERR_INVALID
 * (truncated, over-long, non-minimal); does not set a message. */
int ac_varint_read(const uint8_t **p, const uint8_t *end, uint64_t *out);
/* True if [p, p+n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool ac_utf8_valid(const uint8_t *p, size_t n);
/* Append 2n lowercase hex digits. */
int ac_buf_hex(ac_buf *b, const uint8_t *p, size_t n);
/* Decode 2n hex digits (either case) at s into out[n]; AC_OK or AC_ERR_INVALID. */
int ac_hex_decode(const char *s, size_t n2, uint8_t *out);
/* Append a binary CIDv1: 0x01, varint codec, varint mh_code, varint n, digest. */
int ac_cid_v1(uint64_t codec, uint64_t mh_code, const uint8_t *digest, size_t n, ac_buf *out);
/* AC_OK if [p, p+n) is a structurally valid binary CID (v0: 0x12 0x20 + 32 bytes;
 * v1: 0x01, minimal varints, digest length <= 1024 matching exactly). */
int ac_cid_check(const uint8_t *p, size_t n);

/* ---- DAG-CBOR writer ------------------------------------------------------------------- *
 * Every acw_* appends to an ac_buf and returns its (sticky) status.  Lengths and integers
 * are always written in their shortest form.  Maps: write acw_map(n), then n times a key
 * (acw_map_key or acw_text) followed by its value; keys MUST come in canonical order. */
int acw_head(ac_buf *b, unsigned major, uint64_t arg); /* raw CBOR head */
int acw_uint(ac_buf *b, uint64_t v);
int acw_int(ac_buf *b, int64_t v);
/* The negative integer -1 - m (m up to 2^64-1 reaches -2^64). */
int acw_neg(ac_buf *b, uint64_t m);
int acw_bytes(ac_buf *b, const void *p, size_t n);
int acw_text(ac_buf *b, const char *p, size_t n); /* invalid UTF-8 fails AC_ERR_INVALID */
int acw_cstr(ac_buf *b, const char *s);
int acw_array(ac_buf *b, uint64_t n);
int acw_map(ac_buf *b, uint64_t n);
int acw_bool(ac_buf *b, bool v);
int acw_null(ac_buf *b);
/* Always 64-bit; NaN and +-Inf fail with AC_ERR_INVALID (not representable in DAG-CBOR). */
int acw_float64(ac_buf *b, double v);
/* Tag 42 + bytes(0x00 || cid); cid is a binary CID (not checked, see ac_cid_check). */
int acw_cid(ac_buf *b, const uint8_t *cid, size_t n);

/* Canonical DAG-CBOR key order: negative if a sorts before b (shorter first, then bytes). */
int ac_key_cmp(const char *a, size_t an, const char *b, size_t bn);
/* Sort n NUL-terminated keys in place into canonical order (insertion sort: small n). */
void ac_sort_keys(const char **keys, size_t n);
/* Writes a key after checking it sorts strictly after *prev (a cursor the caller keeps
 * per map, initialised to {0}); out-of-order or duplicate keys fail AC_ERR_INTERNAL. */
typedef struct { const char *p; size_t n; bool any; } acw_keycur;
int acw_map_key(ac_buf *b, acw_keycur *prev, const char *k, size_t n);

/* ---- strict DAG-CBOR reader ------------------------------------------------------------ *
 * acr reads items in order from [p, end).  Every function returns AC_OK or a (sticky)
 * status with the result slot holding a message: AC_ERR_INVALID for anything not strict
 * DAG-CBOR (non-minimal heads, indefinite lengths, tags other than 42, simple values other
 * than false/true/null, floats other than 64-bit, NaN/Inf, invalid UTF-8, a wrong type for
 * the call, truncation). */
enum { ACR_UINT = 0, ACR_NEG = 1, ACR_BYTES = 2, ACR_TEXT = 3, ACR_ARRAY = 4, ACR_MAP = 5,
       ACR_TAG = 6, ACR_SIMPLE = 7, ACR_END = -1 };

#ifndef AC_MAX_DEPTH
#define AC_MAX_DEPTH 1024 /* matches DecodeLimits.max_depth */
#endif

typedef struct acr {
    const uint8_t *start, *p, *end;
    int err;
} acr;

void acr_init(acr *r, const uint8_t *p, size_t n);
static inline bool acr_done(const acr *r) { return r->p >= r->end; }
static inline size_t acr_left(const acr *r) { return (size_t)(r->end - r->p); }
/* Major type of the next item (ACR_*), ACR_END at the end; does not validate or advance. */
int acr_peek(const acr *r);
/* Read a validated head: major type and argument (lengths are checked against the bytes
 * left only by the typed readers below). */
int acr_head(acr *r, unsigned *major, uint64_t *arg);
int acr_uint(acr *r, uint64_t *v);
/* Any CBOR integer that fits in int64. */
int acr_int(acr *r, int64_t *v);
/* Any CBOR integer: *neg false -> value m, true -> value -1 - m. */
int acr_integer(acr *r, bool *neg, uint64_t *m);
/* Borrowed views into the input. acr_text validates UTF-8. */
int acr_bytes(acr *r, const uint8_t **p, size_t *n);
int acr_text(acr *r, const char **p, size_t *n);
/* Container headers: *n items (a map has *n key/value pairs). */
int acr_array(acr *r, size_t *n);
int acr_map(acr *r, size_t *n);
int acr_bool(acr *r, bool *v);
int acr_null(acr *r);
/* True (and consumes it) if the next item is null. */
bool acr_try_null(acr *r);
int acr_float64(acr *r, double *v);
/* Tag 42: (*p, *n) is the binary CID (the 0x00 prefix removed), structurally checked. */
int acr_cid(acr *r, const uint8_t **p, size_t *n);
/* Skip one complete item of any type, validating it strictly (no recursion: safe at any
 * depth, but nesting deeper than AC_MAX_DEPTH is rejected). */
int acr_skip(acr *r);
/* Like acr_skip, calling on_cid(ctx, cid, n) for every link in document order; a non-zero
 * return from on_cid stops the walk and is returned. */
typedef int (*ac_cid_fn)(void *ctx, const uint8_t *cid, size_t n);
int acr_walk(acr *r, ac_cid_fn on_cid, void *ctx);
/* With r positioned at a map: if key is present, *val is a reader positioned at its value
 * and *found is true.  r is not advanced.  Map keys must be text. */
int acr_find(acr *r, const char *key, acr *val, bool *found);
/* Fail unless every byte was consumed. */
int acr_finish(acr *r);
int acr_fail(acr *r, int status, const char *msg);

/* ---- ABI entry points (docs/abi.md sections 1 and 3) ----------------------------------- *
 * Declared here so that -Wmissing-prototypes holds for the AC_EXPORT_* expansions; a module
 * defines only those of its kind (through the macro), lib/ac.c the first three. */
int ac_abi_version(void);
uint8_t *ac_input(size_t n);
uint32_t *ac_result(void);
int ac_decode(const uint8_t *p, size_t n);
int ac_encode(const uint8_t *p, size_t n);
int ac_decode_batch(const uint8_t *p, size_t n);
int ac_links(const uint8_t *p, size_t n);
int ac_hash(const uint8_t *p, size_t n);
int ac_hash_init(void);
int ac_hash_update(const uint8_t *p, size_t n);
int ac_hash_final(void);
int ac_hash_batch(const uint8_t *p, size_t n); /* optional: many one-shot hashes in one call */
int ac_hash_xof(const uint8_t *p, size_t n);       /* optional: u32 LE length, data -> that many bytes */
int ac_hash_final_xof(const uint8_t *p, size_t n); /* optional: u32 LE length -> the stream's digest of it */
int ac_chunk_init(const uint8_t *p, size_t n);
int ac_chunk_update(const uint8_t *p, size_t n);
int ac_chunk_final(void);
int ac_verify(const uint8_t *p, size_t n);
int ac_task(const uint8_t *p, size_t n);
int ac_vfy_init(const uint8_t *p, size_t n);
int ac_vfy_update(const uint8_t *p, size_t n);
int ac_vfy_final(void);
int ac_enc_init(const uint8_t *p, size_t n);
int ac_enc_update(const uint8_t *p, size_t n);
int ac_enc_final(void);

/* ---- hash batches (ac_hash_batch's frame, docs/abi.md) ------------------------------------ *
 * u32 count, then count x (u32 len, bytes).  ac_batch_open checks the count against the frame's
 * size, ac_batch_next gives each input in turn (its length checked against the bytes left
 * before anything is read), ac_batch_close refuses bytes after the last input.  Every message
 * starts with the module's `name`.  Inline: a module that does not batch gets none of it. */
typedef struct {
    const uint8_t *p;
    size_t n, at;
    uint32_t count;
    const char *name;
} ac_batch;

static inline int ac_batch_open(ac_batch *b, const char *name, const uint8_t *p, size_t n) {
    b->p = p;
    b->n = n;
    b->at = 4;
    b->count = 0;
    b->name = name;
    if (n < 4) return ac_failf(AC_ERR_INVALID, "%s: a batch starts with its u32 count", name);
    b->count = ac_le32(p);
    if (b->count > (n - 4) / 4) return ac_failf(AC_ERR_INVALID, "%s: a batch counts more inputs than it holds", name);
    return AC_OK;
}

static inline int ac_batch_next(ac_batch *b, const uint8_t **in, uint32_t *len) {
    if (b->n - b->at < 4) return ac_failf(AC_ERR_INVALID, "%s: a batch ends inside an input's length", b->name);
    *len = ac_le32(b->p + b->at);
    b->at += 4;
    if (*len > b->n - b->at) return ac_failf(AC_ERR_INVALID, "%s: a batch ends inside an input", b->name);
    *in = b->p + b->at;
    b->at += *len;
    return AC_OK;
}

static inline int ac_batch_close(const ac_batch *b) {
    return b->at == b->n ? AC_OK : ac_failf(AC_ERR_INVALID, "%s: bytes after a batch's last input", b->name);
}

/* ---- export macros ---------------------------------------------------------------------- *
 * Each module includes exactly one AC_EXPORT_<KIND> line.  Item functions get the input
 * (already in the arena) and write their output into `out`; they return a status, and on
 * failure leave a message in the result slot (ac_fail).  ac_abi_version, ac_input and
 * ac_result are always exported by lib/ac.c itself. */
typedef int (*ac_item_fn)(const uint8_t *in, size_t n, ac_buf *out);

int ac__run(ac_item_fn fn, const uint8_t *in, size_t n);
int ac__run0(int (*fn)(ac_buf *out));
int ac__batch(ac_item_fn fn, const uint8_t *in, size_t n);

/* codec: decode(native)->DAG-CBOR, encode(DAG-CBOR)->native, links (may be NULL). */
#define AC_EXPORT_CODEC(decode_fn, encode_fn, links_fn)                                   \
    AC_EXPORT(ac_decode) int ac_decode(const uint8_t *p, size_t n) { return ac__run(decode_fn, p, n); } \
    AC_EXPORT(ac_encode) int ac_encode(const uint8_t *p, size_t n) { return ac__run(encode_fn, p, n); } \
    AC_EXPORT(ac_decode_batch) int ac_decode_batch(const uint8_t *p, size_t n) { return ac__batch(decode_fn, p, n); } \
    AC_EXPORT_LINKS_(links_fn)
#define AC_EXPORT_LINKS_(links_fn)                                                          \
    AC_EXPORT(ac_links) int ac_links(const uint8_t *p, size_t n) { return ac__run(links_fn, p, n); }
/* A codec without ac_links. */
#define AC_EXPORT_CODEC_NOLINKS(decode_fn, encode_fn)                                      \
    AC_EXPORT(ac_decode) int ac_decode(const uint8_t *p, size_t n) { return ac__run(decode_fn, p, n); } \
    AC_EXPORT(ac_encode) int ac_encode(const uint8_t *p, size_t n) { return ac__run(encode_fn, p, n); } \
    AC_EXPORT(ac_decode_batch) int ac_decode_batch(const uint8_t *p, size_t n) { return ac__batch(decode_fn, p, n); }

/* hasher: one-shot hash, and a stream (state in statics).  init_fn(void), update_fn(p, n)
 * return a status; final_fn(out) appends the digest. */
#define AC_EXPORT_HASHER(hash_fn, init_fn, update_fn, final_fn)                            \
    AC_EXPORT(ac_hash) int ac_hash(const uint8_t *p, size_t n) { return ac__run(hash_fn, p, n); } \
    AC_EXPORT(ac_hash_init) int ac_hash_init(void) { ac_set_result(0, 0); return init_fn(); } \
    AC_EXPORT(ac_hash_update) int ac_hash_update(const uint8_t *p, size_t n) { ac_set_result(0, 0); return update_fn(p, n); } \
    AC_EXPORT(ac_hash_final) int ac_hash_final(void) { return ac__run0(final_fn); }

/* optional hasher export: batch_fn(in, n, out) gets u32 count | count x (u32 len | bytes) and
 * appends each input's digest (docs/abi.md, hasher). */
#define AC_EXPORT_HASH_BATCH(batch_fn)                                                          \
    AC_EXPORT(ac_hash_batch) int ac_hash_batch(const uint8_t *p, size_t n) { return ac__run(batch_fn, p, n); }

/* optional hasher exports, for hashes with extendable output: xof_fn(in, n, out) gets u32 LE
 * output length L, then the data, and appends an L-byte digest; final_xof_fn(in, n, out) gets
 * only L and ends the stream as final_fn does, appending L bytes (docs/abi.md, hasher). */
#define AC_EXPORT_HASH_XOF(xof_fn, final_xof_fn)                                                \
    AC_EXPORT(ac_hash_xof) int ac_hash_xof(const uint8_t *p, size_t n) { return ac__run(xof_fn, p, n); } \
    AC_EXPORT(ac_hash_final_xof) int ac_hash_final_xof(const uint8_t *p, size_t n) { return ac__run(final_xof_fn, p, n); }

/* chunker: init_fn(params, n, out) parses the DAG-CBOR params; update_fn(p, n, out)
 * appends u64 LE chunk ends (ac_buf_le64); final_fn(out) appends the remaining ends. */
#define AC_EXPORT_CHUNKER(init_fn, update_fn, final_fn)                                    \
    AC_EXPORT(ac_chunk_init) int ac_chunk_init(const uint8_t *p, size_t n) { return ac__run(init_fn, p, n); } \
    AC_EXPORT(ac_chunk_update) int ac_chunk_update(const uint8_t *p, size_t n) { return ac__run(update_fn, p, n); } \
    AC_EXPORT(ac_chunk_final) int ac_chunk_final(void) { return ac__run0(final_fn); }

/* crypto: verify_fn gets the whole frame of docs/abi.md (use ac_verify_frame to split it)
 * and appends one byte, 1 valid / 0 invalid. */
#define AC_EXPORT_CRYPTO(verify_fn)                                                        \
    AC_EXPORT(ac_verify) int ac_verify(const uint8_t *p, size_t n) { return ac__run(verify_fn, p, n); }

typedef struct {
    uint32_t key_type;
    const uint8_t *pk; size_t pk_len;
    const uint8_t *sig; size_t sig_len;
    const uint8_t *msg; size_t msg_len;
} ac_verify_args;
/* Split a crypto frame; AC_ERR_INVALID (with message) if it is truncated. */
int ac_verify_frame(const uint8_t *p, size_t n, ac_verify_args *a);

/* task: task_fn gets DAG-CBOR {"fn": name, "args": [...]} and appends a DAG-CBOR result. */
#define AC_EXPORT_TASK(task_fn)                                                            \
    AC_EXPORT(ac_task) int ac_task(const uint8_t *p, size_t n) { return ac__run(task_fn, p, n); }

#endif /* AC_H */
