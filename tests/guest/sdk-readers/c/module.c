/* tests/guest/sdk-readers/README.md: each [kind, value] read with the named acr_* reader and
 * written back with the matching acw_* writer. */
#include "ac.h"

static bool is(const char *k, size_t n, const char *want) {
    return n == ac_strlen(want) && memcmp(k, want, n) == 0;
}

static int one(acr *r, const char *k, size_t kn, ac_buf *out) {
    if (is(k, kn, "uint")) {
        uint64_t v;
        AC_TRY(acr_uint(r, &v));
        return acw_uint(out, v);
    }
    if (is(k, kn, "int")) {
        int64_t v;
        AC_TRY(acr_int(r, &v));
        return acw_int(out, v);
    }
    if (is(k, kn, "integer")) {
        bool neg;
        uint64_t m;
        AC_TRY(acr_integer(r, &neg, &m));
        return neg ? acw_neg(out, m) : acw_uint(out, m);
    }
    if (is(k, kn, "neg")) {
        uint64_t m;
        AC_TRY(acr_uint(r, &m));
        return acw_neg(out, m);
    }
    if (is(k, kn, "bytes")) {
        const uint8_t *p;
        size_t n;
        AC_TRY(acr_bytes(r, &p, &n));
        return acw_bytes(out, p, n);
    }
    if (is(k, kn, "text")) {
        const char *p;
        size_t n;
        AC_TRY(acr_text(r, &p, &n));
        return acw_text(out, p, n);
    }
    if (is(k, kn, "cid")) {
        const uint8_t *p;
        size_t n;
        AC_TRY(acr_cid(r, &p, &n));
        return acw_cid(out, p, n);
    }
    if (is(k, kn, "bool")) {
        bool v;
        AC_TRY(acr_bool(r, &v));
        return acw_bool(out, v);
    }
    if (is(k, kn, "null")) {
        AC_TRY(acr_null(r));
        return acw_null(out);
    }
    if (is(k, kn, "try_null")) {
        bool yes = acr_try_null(r);
        if (!yes) AC_TRY(acr_skip(r));
        return acw_bool(out, yes);
    }
    if (is(k, kn, "float")) {
        double v;
        AC_TRY(acr_float64(r, &v));
        return acw_float64(out, v);
    }
    if (is(k, kn, "float_bits")) {
        uint64_t bits;
        double v;
        AC_TRY(acr_uint(r, &bits));
        memcpy(&v, &bits, 8);
        return acw_float64(out, v);
    }
    if (is(k, kn, "array")) {
        size_t n;
        AC_TRY(acr_array(r, &n));
        for (size_t i = 0; i < n; i++) AC_TRY(acr_skip(r));
        return acw_uint(out, n);
    }
    if (is(k, kn, "map")) {
        size_t n;
        AC_TRY(acr_map(r, &n));
        for (size_t i = 0; i < n; i++) {
            const char *key;
            size_t keyn;
            AC_TRY(acr_text(r, &key, &keyn));
            AC_TRY(acr_skip(r));
        }
        return acw_uint(out, n);
    }
    if (is(k, kn, "skip")) {
        size_t before = acr_left(r);
        AC_TRY(acr_skip(r));
        return acw_uint(out, before - acr_left(r));
    }
    return ac_fail(AC_ERR_INVALID, "unknown kind");
}

static int read_all(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t count;
    acr_init(&r, in, n);
    AC_TRY(acr_array(&r, &count));
    AC_TRY(acw_array(out, count));
    for (size_t i = 0; i < count; i++) {
        size_t two;
        const char *k;
        size_t kn;
        AC_TRY(acr_array(&r, &two));
        if (two != 2) return ac_fail(AC_ERR_INVALID, "a pair is [kind, value]");
        AC_TRY(acr_text(&r, &k, &kn));
        AC_TRY(one(&r, k, kn, out));
    }
    return acr_finish(&r);
}

AC_EXPORT_TASK(read_all)
