/*
 * bencode.c - BitTorrent bencode (BEP 3) as an autocodec codec (multicodec 0x63), ABI v1.
 *
 * Data model (see README.md beside this file):
 *   integer     -> int, anywhere in [-2^64, 2^64-1] (what a DAG-CBOR head holds); larger
 *                  magnitudes are valid bencode but AC_ERR_UNSUPPORTED
 *   byte string -> bytes (always; bencode has no text type)
 *   list        -> list
 *   dictionary  -> map when every key is UTF-8 (IPLD map keys are strings); a dictionary
 *                  with a key that is not UTF-8 (BitTorrent v2 `piece layers`: 32-byte
 *                  hashes) -> {"bencode-pairs": [[key Bytes, value], ...]} in bencode order,
 *                  and so is a dictionary whose only key is "bencode-pairs" (the escape that
 *                  keeps the two forms apart; bencode.ipldsch)
 *
 * Invariants:
 *   - decode accepts only the canonical encoding: no leading zeros, no "-0", no empty
 *     integer, dictionary keys strictly increasing as raw bytes (so no duplicates), no
 *     trailing bytes, every length within the input.  Hence encode(decode(b)) == b.
 *   - encode accepts text or bytes for strings, sorts map keys by their raw bytes and
 *     refuses what bencode cannot hold (floats, booleans, null, links).
 *   - Nesting is limited to BENC_MAX_DEPTH on both sides; deeper input is AC_ERR_INVALID,
 *     never a trap.  Lengths are bounded by the bytes actually present before any use.
 *   - There are no links: ac_links always returns an empty array.
 */
#include "ac.h"

#define BENC_MAX_DEPTH 512


/* Raw byte order of bencode keys: memcmp, a proper prefix first. */
static int raw_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* ---- decode: pass 1 validates and records every container ---------------------------- */

/* One list or dictionary, recorded in pre-order (so sorted by start offset); pairs: a
   dictionary written in the {"bencode-pairs": [...]} form. */
typedef struct { size_t start, end, count; bool pairs; } crec;

#define PAIRS_KEY "bencode-pairs"
#define PAIRS_KEY_LEN 13

typedef struct {
    const uint8_t *p;
    size_t n;
    ac_buf recs; /* crec[] */
} bdec;

static inline bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* Integer "i...e" at *i: validated, value in (*neg, *m) as acw_neg/acw_uint take it. */
static int parse_int(const bdec *d, size_t *i, bool *neg, uint64_t *m) {
    static const char two64[] = "18446744073709551616";
    size_t j = *i + 1;
    *neg = false;
    if (j < d->n && d->p[j] == '-') { *neg = true; j++; }
    size_t s = j;
    while (j < d->n && is_digit(d->p[j])) j++;
    size_t nd = j - s;
    if (j >= d->n) return ac_failf(AC_ERR_INVALID, "truncated integer at offset %zu", *i);
    if (d->p[j] != 'e')
        return ac_failf(AC_ERR_INVALID, "bad character in integer at offset %zu", j);
    if (nd == 0) return ac_failf(AC_ERR_INVALID, "empty integer at offset %zu", *i);
    if (d->p[s] == '0' && nd > 1)
        return ac_failf(AC_ERR_INVALID, "leading zero in integer at offset %zu", *i);
    if (*neg && nd == 1 && d->p[s] == '0')
        return ac_failf(AC_ERR_INVALID, "negative zero at offset %zu", *i);
    uint64_t v = 0;
    bool over = false;
    for (size_t k = s; k < j; k++) {
        uint64_t dg = (uint64_t)(d->p[k] - '0');
        if (v > (UINT64_MAX - dg) / 10) { over = true; break; }
        v = v * 10 + dg;
    }
    if (over) {
        /* -2^64 is the one value past u64 that a CBOR negative head still holds. */
        if (*neg && nd == sizeof two64 - 1 && memcmp(d->p + s, two64, nd) == 0) {
            *m = UINT64_MAX;
            *i = j + 1;
            return AC_OK;
        }
        return ac_failf(AC_ERR_UNSUPPORTED,
                        "integer at offset %zu is outside [-2^64, 2^64-1] (the IPLD range)", *i);
    }
    *m = *neg ? v - 1 : v;
    *i = j + 1;
    return AC_OK;
}

/* String "<len>:<bytes>" at *i: on success (*sp, *sn) is the content, *i is past it. */
static int parse_str(const bdec *d, size_t *i, const uint8_t **sp, size_t *sn) {
    size_t j = *i;
    if (j >= d->n || !is_digit(d->p[j]))
        return ac_failf(AC_ERR_INVALID, "expected a string length at offset %zu", j);
    if (d->p[j] == '0' && j + 1 < d->n && is_digit(d->p[j + 1]))
        return ac_failf(AC_ERR_INVALID, "leading zero in string length at offset %zu", j);
    uint64_t v = 0;
    while (j < d->n && is_digit(d->p[j])) {
        v = v * 10 + (uint64_t)(d->p[j] - '0');
        if (v > d->n)
            return ac_failf(AC_ERR_INVALID, "string length at offset %zu exceeds the input", *i);
        j++;
    }
    if (j >= d->n || d->p[j] != ':')
        return ac_failf(AC_ERR_INVALID, "expected ':' after string length at offset %zu", j);
    j++;
    if (v > d->n - j)
        return ac_failf(AC_ERR_INVALID, "truncated string at offset %zu: %llu bytes declared, %zu left",
                        *i, (unsigned long long)v, d->n - j);
    *sp = d->p + j;
    *sn = (size_t)v;
    *i = j + (size_t)v;
    return AC_OK;
}

static int validate(bdec *d, size_t *i, unsigned depth) {
    if (*i >= d->n) return ac_failf(AC_ERR_INVALID, "truncated: expected a value at offset %zu", *i);
    uint8_t c = d->p[*i];
    if (c == 'i') {
        bool neg;
        uint64_t m;
        return parse_int(d, i, &neg, &m);
    }
    if (is_digit(c)) {
        const uint8_t *sp;
        size_t sn;
        return parse_str(d, i, &sp, &sn);
    }
    if (c != 'l' && c != 'd')
        return ac_failf(AC_ERR_INVALID, "unexpected byte 0x%x at offset %zu", (unsigned)c, *i);
    if (depth >= BENC_MAX_DEPTH)
        return ac_failf(AC_ERR_INVALID, "nesting deeper than %d at offset %zu", BENC_MAX_DEPTH, *i);
    bool dict = c == 'd';
    size_t start = *i;
    size_t idx = d->recs.len / sizeof(crec);
    crec *rp = (crec *)ac_buf_extend(&d->recs, sizeof(crec));
    if (!rp) return ac_fail(AC_ERR_NOMEM, "out of memory");
    rp->start = start;
    rp->pairs = false;
    bool binary = false, only_marker = false;
    size_t count = 0;
    const uint8_t *prev = 0;
    size_t prevn = 0;
    (*i)++;
    for (;;) {
        if (*i >= d->n)
            return ac_failf(AC_ERR_INVALID, "truncated %s starting at offset %zu",
                            dict ? "dictionary" : "list", start);
        if (d->p[*i] == 'e') break;
        if (dict) {
            const uint8_t *kp;
            size_t kn;
            if (!is_digit(d->p[*i]))
                return ac_failf(AC_ERR_INVALID, "dictionary key at offset %zu is not a byte string", *i);
            size_t at = *i;
            AC_TRY(parse_str(d, i, &kp, &kn));
            if (prev) {
                int cmp = raw_cmp(prev, prevn, kp, kn);
                if (cmp == 0) return ac_failf(AC_ERR_INVALID, "duplicate dictionary key at offset %zu", at);
                if (cmp > 0) return ac_failf(AC_ERR_INVALID, "unsorted dictionary key at offset %zu", at);
            }
            if (!ac_utf8_valid(kp, kn)) binary = true;
            only_marker = count == 0 && kn == PAIRS_KEY_LEN && memcmp(kp, PAIRS_KEY, kn) == 0;
            prev = kp;
            prevn = kn;
            if (*i >= d->n || d->p[*i] == 'e')
                return ac_failf(AC_ERR_INVALID, "dictionary key at offset %zu has no value", at);
        }
        AC_TRY(validate(d, i, depth + 1));
        count++;
    }
    (*i)++;
    crec *r = (crec *)d->recs.data + idx; /* recs may have moved while recursing */
    r->end = *i;
    r->count = count;
    r->pairs = dict && (binary || (count == 1 && only_marker));
    return AC_OK;
}

/* ---- decode: pass 2 writes DAG-CBOR ----------------------------------------------------- */

static const crec *find_rec(const bdec *d, size_t start) {
    const crec *a = (const crec *)d->recs.data;
    size_t lo = 0, hi = d->recs.len / sizeof(crec);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid].start < start) lo = mid + 1;
        else hi = mid;
    }
    return a + lo; /* present: pass 1 recorded every container */
}

/* End offset of the (already validated) value at i. */
static size_t value_end(const bdec *d, size_t i) {
    uint8_t c = d->p[i];
    if (c == 'l' || c == 'd') return find_rec(d, i)->end;
    if (c == 'i') {
        while (d->p[i] != 'e') i++;
        return i + 1;
    }
    size_t len = 0;
    while (d->p[i] != ':') len = len * 10 + (size_t)(d->p[i++] - '0');
    return i + 1 + len;
}

typedef struct { const uint8_t *k; size_t kn; size_t v; } dent;

/* Bottom-up merge sort of dict entries into canonical DAG-CBOR key order. */
static int sort_dents(dent *a, size_t n) {
    if (n < 2) return AC_OK;
    dent *tmp = (dent *)ac_alloc(n * sizeof(dent));
    if (!tmp) return ac_fail(AC_ERR_NOMEM, "out of memory");
    dent *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi)
                dst[o++] = ac_key_cmp((const char *)src[y].k, src[y].kn, (const char *)src[x].k, src[x].kn) < 0
                               ? src[y++] : src[x++];
            while (x < mid) dst[o++] = src[x++];
            while (y < hi) dst[o++] = src[y++];
        }
        dent *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof(dent));
    return AC_OK;
}

static int emit(const bdec *d, size_t i, ac_buf *out) {
    uint8_t c = d->p[i];
    if (c == 'i') {
        bool neg;
        uint64_t m;
        size_t j = i;
        AC_TRY(parse_int(d, &j, &neg, &m));
        return neg ? acw_neg(out, m) : acw_uint(out, m);
    }
    if (is_digit(c)) {
        const uint8_t *sp;
        size_t sn, j = i;
        AC_TRY(parse_str(d, &j, &sp, &sn));
        return acw_bytes(out, sp, sn);
    }
    const crec *r = find_rec(d, i);
    size_t count = r->count, j = i + 1;
    if (c == 'l') {
        AC_TRY(acw_array(out, count));
        for (size_t k = 0; k < count; k++) {
            AC_TRY(emit(d, j, out));
            j = value_end(d, j);
        }
        return AC_OK;
    }
    if (r->pairs) {
        AC_TRY(acw_map(out, 1));
        AC_TRY(acw_cstr(out, PAIRS_KEY));
        AC_TRY(acw_array(out, count));
        for (size_t k = 0; k < count; k++) {
            const uint8_t *kp;
            size_t kn;
            AC_TRY(parse_str(d, &j, &kp, &kn));
            AC_TRY(acw_array(out, 2));
            AC_TRY(acw_bytes(out, kp, kn));
            AC_TRY(emit(d, j, out));
            j = value_end(d, j);
        }
        return AC_OK;
    }
    dent *ents = (dent *)ac_alloc((count ? count : 1) * sizeof(dent));
    if (!ents) return ac_fail(AC_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < count; k++) {
        AC_TRY(parse_str(d, &j, &ents[k].k, &ents[k].kn));
        ents[k].v = j;
        j = value_end(d, j);
    }
    AC_TRY(sort_dents(ents, count));
    AC_TRY(acw_map(out, count));
    for (size_t k = 0; k < count; k++) {
        AC_TRY(acw_text(out, (const char *)ents[k].k, ents[k].kn));
        AC_TRY(emit(d, ents[k].v, out));
    }
    return AC_OK;
}

static int benc_decode(const uint8_t *in, size_t n, ac_buf *out) {
    bdec d = { in, n, { 0 } };
    ac_buf_init(&d.recs);
    size_t i = 0;
    if (n == 0) return ac_fail(AC_ERR_INVALID, "empty input");
    AC_TRY(validate(&d, &i, 0));
    if (d.recs.err) return d.recs.err;
    if (i != n) return ac_failf(AC_ERR_INVALID, "%zu trailing bytes after the value", n - i);
    AC_TRY(emit(&d, 0, out));
    return out->err;
}

/* ---- encode: DAG-CBOR -> bencode -------------------------------------------------------- */

static int put_dec(ac_buf *out, uint64_t v, bool plus_one) {
    char tmp[24];
    size_t k = sizeof tmp;
    do { tmp[--k] = (char)('0' + v % 10); v /= 10; } while (v);
    if (plus_one) { /* decimal increment, for -1 - m with m = 2^64-1 */
        size_t x = sizeof tmp;
        while (x > k && tmp[x - 1] == '9') tmp[--x] = '0';
        if (x > k) tmp[x - 1]++;
        else tmp[--k] = '1';
    }
    return ac_buf_put(out, tmp + k, sizeof tmp - k);
}

static int put_str(ac_buf *out, const void *p, size_t n) {
    AC_TRY(put_dec(out, n, false));
    AC_TRY(ac_buf_byte(out, ':'));
    return ac_buf_put(out, p, n);
}

typedef struct { const char *k; size_t kn; acr v; } eent;

static int sort_eents(eent *a, size_t n) {
    if (n < 2) return AC_OK;
    eent *tmp = (eent *)ac_alloc(n * sizeof(eent));
    if (!tmp) return ac_fail(AC_ERR_NOMEM, "out of memory");
    eent *src = a, *dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi)
                dst[o++] = raw_cmp((const uint8_t *)src[y].k, src[y].kn,
                                   (const uint8_t *)src[x].k, src[x].kn) < 0 ? src[y++] : src[x++];
            while (x < mid) dst[o++] = src[x++];
            while (y < hi) dst[o++] = src[y++];
        }
        eent *t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof(eent));
    return AC_OK;
}

static int enc(acr *r, ac_buf *out, unsigned depth) {
    switch (acr_peek(r)) {
    case ACR_UINT:
    case ACR_NEG: {
        bool neg;
        uint64_t m;
        AC_TRY(acr_integer(r, &neg, &m));
        AC_TRY(ac_buf_byte(out, 'i'));
        if (neg) AC_TRY(ac_buf_byte(out, '-'));
        AC_TRY(put_dec(out, m, neg));
        return ac_buf_byte(out, 'e');
    }
    case ACR_BYTES: {
        const uint8_t *p;
        size_t n;
        AC_TRY(acr_bytes(r, &p, &n));
        return put_str(out, p, n);
    }
    case ACR_TEXT: {
        const char *p;
        size_t n;
        AC_TRY(acr_text(r, &p, &n));
        return put_str(out, p, n);
    }
    case ACR_ARRAY:
    case ACR_MAP:
        break;
    case ACR_TAG:
        return ac_fail(AC_ERR_INVALID, "bencode cannot hold a link");
    case ACR_SIMPLE:
        return ac_fail(AC_ERR_INVALID, "bencode cannot hold a float, boolean or null");
    default:
        return ac_fail(AC_ERR_INVALID, "truncated DAG-CBOR input");
    }
    if (depth >= BENC_MAX_DEPTH)
        return ac_failf(AC_ERR_INVALID, "nesting deeper than %d", BENC_MAX_DEPTH);
    size_t n;
    if (acr_peek(r) == ACR_ARRAY) {
        AC_TRY(acr_array(r, &n));
        AC_TRY(ac_buf_byte(out, 'l'));
        for (size_t k = 0; k < n; k++) AC_TRY(enc(r, out, depth + 1));
        return ac_buf_byte(out, 'e');
    }
    AC_TRY(acr_map(r, &n));
    eent *ents;
    const char *k0;
    size_t k0n;
    acr peek = *r;
    if (n == 1 && acr_text(&peek, &k0, &k0n) == AC_OK && k0n == PAIRS_KEY_LEN && memcmp(k0, PAIRS_KEY, k0n) == 0) {
        /* {"bencode-pairs": [[key, value], ...]}: a dictionary with keys of any bytes */
        *r = peek;
        if (acr_peek(r) != ACR_ARRAY)
            return ac_fail(AC_ERR_INVALID, "\"" PAIRS_KEY "\" must be a list of [key, value] pairs");
        AC_TRY(acr_array(r, &n));
        ents = (eent *)ac_alloc((n ? n : 1) * sizeof(eent));
        if (!ents) return ac_fail(AC_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            size_t two;
            if (acr_peek(r) != ACR_ARRAY || acr_array(r, &two) != AC_OK || two != 2)
                return ac_fail(AC_ERR_INVALID, "\"" PAIRS_KEY "\" must be a list of [key, value] pairs");
            if (acr_peek(r) == ACR_BYTES) {
                const uint8_t *kp;
                AC_TRY(acr_bytes(r, &kp, &ents[k].kn));
                ents[k].k = (const char *)kp;
            } else if (acr_peek(r) == ACR_TEXT) {
                AC_TRY(acr_text(r, &ents[k].k, &ents[k].kn));
            } else {
                return ac_fail(AC_ERR_INVALID, "a dictionary key must be bytes or a string");
            }
            ents[k].v = *r;
            AC_TRY(acr_skip(r));
        }
    } else {
        ents = (eent *)ac_alloc((n ? n : 1) * sizeof(eent));
        if (!ents) return ac_fail(AC_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < n; k++) {
            AC_TRY(acr_text(r, &ents[k].k, &ents[k].kn));
            ents[k].v = *r;
            AC_TRY(acr_skip(r));
        }
    }
    AC_TRY(sort_eents(ents, n));
    AC_TRY(ac_buf_byte(out, 'd'));
    for (size_t k = 0; k < n; k++) {
        if (k && ents[k - 1].kn == ents[k].kn && memcmp(ents[k - 1].k, ents[k].k, ents[k].kn) == 0)
            return ac_fail(AC_ERR_INVALID, "duplicate map key");
        AC_TRY(put_str(out, ents[k].k, ents[k].kn));
        AC_TRY(enc(&ents[k].v, out, depth + 1));
    }
    return ac_buf_byte(out, 'e');
}

static int benc_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    AC_TRY(enc(&r, out, 0));
    AC_TRY(acr_finish(&r));
    return out->err;
}

/* bencode has no links; validate the block anyway so links() fails exactly when decode does. */
static int benc_links(const uint8_t *in, size_t n, ac_buf *out) {
    bdec d = { in, n, { 0 } };
    ac_buf_init(&d.recs);
    size_t i = 0;
    if (n == 0) return ac_fail(AC_ERR_INVALID, "empty input");
    AC_TRY(validate(&d, &i, 0));
    if (i != n) return ac_failf(AC_ERR_INVALID, "%zu trailing bytes after the value", n - i);
    return acw_array(out, 0);
}

AC_EXPORT_CODEC(benc_decode, benc_encode, benc_links)
