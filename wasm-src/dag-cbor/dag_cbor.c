/*
 * dag-cbor: the DAG-CBOR codec (multicodec 0x71) as a guest module.
 *
 * A block's data model *is* DAG-CBOR, so decode is strict validation followed by the
 * identity: a block is accepted only if it is the one canonical encoding of its data model
 * (spec: ipld.io/specs/codecs/dag-cbor/spec), and then the output equals the input.
 * Encode takes any well-formed CBOR form of a data model (non-minimal heads, short floats,
 * unsorted keys) and writes its canonical bytes; links lists every tag-42 CID in document
 * order.  Nesting is bounded by AC_MAX_DEPTH (1024, as the builtin codec).
 */
#include "ac.h"

static int validate(const uint8_t *in, size_t n, ac_cid_fn on_cid, void *ctx) {
    acr r;
    acr_init(&r, in, n);
    if (n == 0) return acr_fail(&r, AC_ERR_INVALID, "empty block");
    AC_TRY(acr_walk(&r, on_cid, ctx));
    return acr_finish(&r);
}

static int dag_decode(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(validate(in, n, 0, 0));
    return ac_buf_put(out, in, n);
}

typedef struct { ac_buf links; uint64_t count; } link_acc;

static int collect(void *ctx, const uint8_t *cid, size_t n) {
    link_acc *acc = ctx;
    acc->count++;
    return acw_cid(&acc->links, cid, n);
}

static int dag_links(const uint8_t *in, size_t n, ac_buf *out) {
    link_acc acc;
    ac_buf_init(&acc.links);
    acc.count = 0;
    AC_TRY(validate(in, n, collect, &acc));
    AC_TRY(acw_array(out, acc.count));
    return ac_buf_put(out, acc.links.data, acc.links.len);
}

/* ---- encode: any well-formed CBOR form of a DAG-CBOR data model -> its canonical bytes ---- *
 * Accepted beyond strict DAG-CBOR: non-minimal integer/length heads (including the tag
 * head), 16- and 32-bit floats (widened exactly to 64-bit) and map keys in any order (sorted
 * on output).  Still refused: indefinite lengths, duplicate keys, non-text keys, NaN/Inf,
 * tags other than 42, malformed CIDs, simple values other than false/true/null, invalid
 * UTF-8, nesting deeper than AC_MAX_DEPTH and trailing bytes. */

typedef struct { const char *key; uint32_t klen; uint32_t start, end; } entry;

/* Any definite-length head; minimality is not required. */
static int lenient_head(acr *r, unsigned *major, unsigned *ai, uint64_t *arg) {
    if (r->err) return r->err;
    if (r->p >= r->end) return acr_fail(r, AC_ERR_INVALID, "unexpected end of data");
    uint8_t ib = *r->p;
    unsigned info = ib & 31;
    size_t extra = info < 24 ? 0 : info <= 27 ? (size_t)1 << (info - 24) : 99;
    if (info == 31) return acr_fail(r, AC_ERR_INVALID, "indefinite length items are not supported");
    if (extra == 99) return acr_fail(r, AC_ERR_INVALID, "reserved additional information");
    if (acr_left(r) - 1 < extra) return acr_fail(r, AC_ERR_INVALID, "unexpected end of data");
    uint64_t v = info < 24 ? info : 0;
    for (size_t i = 0; i < extra; i++) v = v << 8 | r->p[1 + i];
    r->p += 1 + extra;
    *major = ib >> 5;
    *ai = info;
    *arg = v;
    return AC_OK;
}

static double half_to_double(uint16_t h) {
    int exp = (h >> 10) & 0x1f;
    double mant = h & 0x3ff, v;
    if (exp == 0) v = mant * (1.0 / (1 << 24));                      /* subnormal: m * 2^-24 */
    else if (exp == 31) v = mant != 0.0 ? __builtin_nan("") : __builtin_inf();
    else {
        v = (mant + 1024.0) * (1.0 / (1 << 10));
        for (; exp > 15; exp--) v *= 2;
        for (; exp < 15; exp++) v /= 2;
    }
    return (h & 0x8000) ? -v : v;
}

static int key_cmp_entry(const entry *a, const entry *b) { return ac_key_cmp(a->key, a->klen, b->key, b->klen); }

static int canon(acr *r, ac_buf *out, unsigned depth);

static int canon_map(acr *r, ac_buf *out, uint64_t n, unsigned depth) {
    if (n > acr_left(r) / 2) return acr_fail(r, AC_ERR_INVALID, "map length runs past the end of data");
    AC_TRY(acw_map(out, n));
    if (n == 0) return AC_OK;
    entry *es = ac_alloc((size_t)n * sizeof *es);
    if (!es) return ac_fail(AC_ERR_NOMEM, "out of memory");
    bool sorted = true;
    for (uint64_t i = 0; i < n; i++) {
        unsigned major, ai;
        uint64_t klen;
        const uint8_t *at = r->p;
        AC_TRY(lenient_head(r, &major, &ai, &klen));
        if (major != 3) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "map keys must be strings"); }
        if (klen > acr_left(r)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
        if (!ac_utf8_valid(r->p, (size_t)klen)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "string is not valid UTF-8"); }
        entry *e = &es[i];
        e->key = (const char *)r->p;
        e->klen = (uint32_t)klen;
        e->start = (uint32_t)out->len;
        r->p += klen;
        AC_TRY(acw_text(out, e->key, e->klen));
        AC_TRY(canon(r, out, depth));
        e->end = (uint32_t)out->len;
        if (i > 0 && key_cmp_entry(&es[i - 1], e) >= 0) sorted = false;
    }
    if (sorted) return AC_OK;
    /* Sort the entries by key (merge sort: O(n log n) even for hostile orders), then rewrite
     * the map body in key order from a copy. */
    entry *tmp = ac_alloc((size_t)n * sizeof *tmp);
    if (!tmp) return ac_fail(AC_ERR_NOMEM, "out of memory");
    entry *src = es, *dst = tmp;
    for (uint64_t width = 1; width < n; width *= 2) {
        for (uint64_t lo = 0; lo < n; lo += 2 * width) {
            uint64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = key_cmp_entry(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        entry *t = src; src = dst; dst = t;
    }
    es = src;
    for (uint64_t i = 1; i < n; i++)
        if (key_cmp_entry(&es[i - 1], &es[i]) == 0) return acr_fail(r, AC_ERR_INVALID, "duplicate map key");
    uint32_t lo = es[0].start, hi = es[0].end;
    for (uint64_t i = 1; i < n; i++) {
        if (es[i].start < lo) lo = es[i].start;
        if (es[i].end > hi) hi = es[i].end;
    }
    uint8_t *copy = ac_alloc(hi - lo);
    if (!copy) return ac_fail(AC_ERR_NOMEM, "out of memory");
    memcpy(copy, out->data + lo, hi - lo);
    uint32_t at = lo;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t len = es[i].end - es[i].start;
        memcpy(out->data + at, copy + (es[i].start - lo), len);
        at += len;
    }
    return AC_OK;
}

static int canon(acr *r, ac_buf *out, unsigned depth) {
    unsigned major, ai;
    uint64_t arg;
    const uint8_t *at = r->p;
    AC_TRY(lenient_head(r, &major, &ai, &arg));
    switch (major) {
    case 0: case 1:
        return acw_head(out, major, arg);
    case 2: case 3:
        if (arg > acr_left(r)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
        if (major == 3 && !ac_utf8_valid(r->p, (size_t)arg)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "string is not valid UTF-8"); }
        AC_TRY(acw_head(out, major, arg));
        r->p += arg;
        return ac_buf_put(out, r->p - arg, (size_t)arg);
    case 4: case 5:
        if (depth >= AC_MAX_DEPTH) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "nesting too deep"); }
        if (major == 5) return canon_map(r, out, arg, depth + 1);
        if (arg > acr_left(r)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "array length runs past the end of data"); }
        AC_TRY(acw_array(out, arg));
        for (uint64_t i = 0; i < arg; i++) AC_TRY(canon(r, out, depth + 1));
        return AC_OK;
    case 6: {
        if (arg != 42) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "only tag 42 (CID) is allowed"); }
        unsigned m2, ai2;
        uint64_t n;
        const uint8_t *bat = r->p;
        AC_TRY(lenient_head(r, &m2, &ai2, &n));
        if (m2 != 2) { r->p = bat; return acr_fail(r, AC_ERR_INVALID, "tag 42 must wrap bytes"); }
        if (n > acr_left(r)) { r->p = bat; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
        const uint8_t *b = r->p;
        if (n == 0 || b[0] != 0) return acr_fail(r, AC_ERR_INVALID, "tag 42 bytes must start with 0x00");
        if (ac_cid_check(b + 1, (size_t)n - 1)) return acr_fail(r, AC_ERR_INVALID, "tag 42 holds a malformed CID");
        r->p += n;
        return acw_cid(out, b + 1, (size_t)n - 1);
    }
    default: {
        double d;
        if (ai == 20 || ai == 21) return acw_bool(out, ai == 21);
        if (ai == 22) return acw_null(out);
        if (ai == 25) d = half_to_double((uint16_t)arg);
        else if (ai == 26) { uint32_t w = (uint32_t)arg; float f; __builtin_memcpy(&f, &w, 4); d = f; }
        else if (ai == 27) __builtin_memcpy(&d, &arg, 8);
        else { r->p = at; return acr_fail(r, AC_ERR_INVALID, "only true, false and null simple values are allowed"); }
        if (d != d || d == __builtin_inf() || d == -__builtin_inf()) {
            r->p = at;
            return acr_fail(r, AC_ERR_INVALID, "NaN and Infinity are not allowed");
        }
        return acw_float64(out, d);
    }
    }
}

static int dag_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    if (n == 0) return acr_fail(&r, AC_ERR_INVALID, "empty input");
    /* Fast path: input that is already strict DAG-CBOR is its own canonical form. */
    if (validate(in, n, 0, 0) == AC_OK) return ac_buf_put(out, in, n);
    ac_set_result(0, 0);
    AC_TRY(canon(&r, out, 0));
    return acr_finish(&r);
}

AC_EXPORT_CODEC(dag_decode, dag_encode, dag_links)
