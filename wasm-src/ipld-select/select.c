/*
 * select.c - IPLD path selection as an autocodec task module (ABI v1, kind "task").
 *
 * Functions (args are the items of the invocation's "args" list):
 *   select(doc, path) -> the value at path
 *   count(doc, path)  -> number of entries of the list or map at path
 *   keys(doc, path)   -> the keys of the map at path, in the map's (canonical) order
 *
 *   doc:  a byte string is parsed as a DAG-CBOR document (a block's bytes); any other value
 *         is the document itself.
 *   path: text; segments separated by "/" ("" or "/" selects the whole document, empty
 *         segments are ignored). At a map a segment is a key; at a list it is a decimal index
 *         without leading zeros. Paths follow the IPLD data model pathing rules
 *         (ipld.io/docs/data-model/pathing): no escaping, links are not traversed.
 *
 * Invariants:
 *   - A byte-string document is validated as strict DAG-CBOR in full (acr_skip) before any
 *     path is followed, so the answer never depends on where the path leads.
 *   - The selected value is copied byte-for-byte from the (canonical) input: the result is
 *     canonical DAG-CBOR without re-encoding.
 *   - A missing key, an index out of range, or stepping into a scalar is AC_ERR_INVALID
 *     with the path prefix that failed; no input makes the module trap (the reader is
 *     iterative and bounded by AC_MAX_DEPTH).
 */
#include "ac.h"

typedef enum { FN_SELECT, FN_COUNT, FN_KEYS } fn_id;

static bool eq(const char *a, size_t an, const char *b) {
    size_t bn = ac_strlen(b);
    return an == bn && memcmp(a, b, an) == 0;
}

/* Parse a list index: decimal, no sign, no leading zeros, fits in size_t. */
static bool parse_index(const char *s, size_t n, size_t *out) {
    if (n == 0 || n > 9 || (n > 1 && s[0] == '0')) return false;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

/* Advance r (positioned at the document) to the value at path. */
static int walk(acr *r, const char *path, size_t plen) {
    size_t i = 0;
    while (i < plen) {
        size_t j = i;
        while (j < plen && path[j] != '/') j++;
        const char *seg = path + i;
        size_t sn = j - i;
        i = j + 1;
        if (sn == 0) continue;
        int kind = acr_peek(r);
        if (kind == ACR_MAP) {
            size_t n;
            AC_TRY(acr_map(r, &n));
            bool found = false;
            for (size_t k = 0; k < n; k++) {
                const char *key;
                size_t kn;
                AC_TRY(acr_text(r, &key, &kn));
                if (kn == sn && memcmp(key, seg, sn) == 0) { found = true; break; }
                AC_TRY(acr_skip(r));
            }
            if (!found)
                return ac_failf(AC_ERR_INVALID, "no key \"%.*s\" at /%.*s", (int)sn, seg,
                                (int)(seg - path > 0 ? seg - path - 1 : 0), path);
        } else if (kind == ACR_ARRAY) {
            size_t n, idx;
            AC_TRY(acr_array(r, &n));
            if (!parse_index(seg, sn, &idx))
                return ac_failf(AC_ERR_INVALID, "\"%.*s\" is not a list index (at /%.*s)", (int)sn, seg,
                                (int)(seg - path > 0 ? seg - path - 1 : 0), path);
            if (idx >= n)
                return ac_failf(AC_ERR_INVALID, "index %zu out of range (list of %zu) at /%.*s", idx, n,
                                (int)(seg - path > 0 ? seg - path - 1 : 0), path);
            for (size_t k = 0; k < idx; k++) AC_TRY(acr_skip(r));
        } else {
            return ac_failf(AC_ERR_INVALID, "cannot step into \"%.*s\": /%.*s is not a map or list", (int)sn, seg,
                            (int)(seg - path > 0 ? seg - path - 1 : 0), path);
        }
    }
    return AC_OK;
}

static int answer(fn_id fn, acr *r, ac_buf *out) {
    if (fn == FN_SELECT) {
        const uint8_t *start = r->p;
        AC_TRY(acr_skip(r));
        return ac_buf_put(out, start, (size_t)(r->p - start));
    }
    int kind = acr_peek(r);
    size_t n;
    if (fn == FN_COUNT) {
        if (kind == ACR_MAP) AC_TRY(acr_map(r, &n));
        else if (kind == ACR_ARRAY) AC_TRY(acr_array(r, &n));
        else return ac_fail(AC_ERR_INVALID, "count: the value at the path is not a map or list");
        return acw_uint(out, n);
    }
    if (kind != ACR_MAP) return ac_fail(AC_ERR_INVALID, "keys: the value at the path is not a map");
    AC_TRY(acr_map(r, &n));
    AC_TRY(acw_array(out, n));
    for (size_t k = 0; k < n; k++) {
        const char *key;
        size_t kn;
        AC_TRY(acr_text(r, &key, &kn));
        AC_TRY(acw_text(out, key, kn));
        AC_TRY(acr_skip(r));
    }
    return AC_OK;
}

static int run(const uint8_t *in, size_t n, ac_buf *out) {
    acr top, v;
    bool found;
    size_t len;
    const char *name;
    acr_init(&top, in, n);
    AC_TRY(acr_find(&top, "fn", &v, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "the call has no \"fn\"");
    AC_TRY(acr_text(&v, &name, &len));
    fn_id fn;
    if (eq(name, len, "select")) fn = FN_SELECT;
    else if (eq(name, len, "count")) fn = FN_COUNT;
    else if (eq(name, len, "keys")) fn = FN_KEYS;
    else return ac_failf(AC_ERR_UNSUPPORTED, "no function \"%.*s\" (have select, count, keys)", (int)len, name);

    acr args;
    AC_TRY(acr_find(&top, "args", &args, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "the call has no \"args\"");
    size_t argc;
    AC_TRY(acr_array(&args, &argc));
    if (argc != 2) return ac_failf(AC_ERR_INVALID, "%.*s takes 2 arguments (doc, path), got %zu", (int)len, name, argc);

    acr doc = args;
    AC_TRY(acr_skip(&args));
    const char *path;
    size_t plen;
    if (acr_peek(&args) != ACR_TEXT) return ac_fail(AC_ERR_INVALID, "the path (argument 2) must be text");
    AC_TRY(acr_text(&args, &path, &plen));

    if (acr_peek(&doc) == ACR_BYTES) {
        const uint8_t *p;
        size_t dn;
        AC_TRY(acr_bytes(&doc, &p, &dn));
        acr check;
        acr_init(&doc, p, dn);
        check = doc;
        AC_TRY(acr_skip(&check));
        AC_TRY(acr_finish(&check));
    }
    AC_TRY(walk(&doc, path, plen));
    return answer(fn, &doc, out);
}

AC_EXPORT_TASK(run)
