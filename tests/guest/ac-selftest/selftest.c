/* Test-only task module: each function exercises one part of the guest library so that
 * tests/test_build_guestlib.py can compare it with Python's own implementation. */
#include "ac.h"

static bool eq(const char *p, size_t n, const char *lit) {
    return ac_strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* Every integer edge: compared with builtin.encode of the same list. */
static int f_ints(acr *args, ac_buf *out) {
    AC_TRY(acw_array(out, 15));
    static const uint64_t u[] = { 0, 23, 24, 255, 256, 65535, 65536, 0xffffffffull, 0x100000000ull, UINT64_MAX };
    for (unsigned i = 0; i < 10; i++) AC_TRY(acw_uint(out, u[i]));
    AC_TRY(acw_int(out, -1));
    AC_TRY(acw_int(out, -24));
    AC_TRY(acw_int(out, -25));
    AC_TRY(acw_int(out, INT64_MIN));
    return acw_neg(out, UINT64_MAX);
}

/* [bytes(8) big-endian IEEE bits] -> the float (NaN/Inf fail). */
static int f_float_bits(acr *args, ac_buf *out) {
    const uint8_t *p;
    size_t n;
    AC_TRY(acr_bytes(args, &p, &n));
    if (n != 8) return ac_fail(AC_ERR_INVALID, "need 8 bytes");
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = bits << 8 | p[i];
    double d;
    __builtin_memcpy(&d, &bits, 8);
    return acw_float64(out, d);
}

/* [float...] -> the same floats read with acr_float64 and rewritten. */
static int f_floats(acr *args, ac_buf *out) {
    size_t n;
    AC_TRY(acr_array(args, &n));
    AC_TRY(acw_array(out, n));
    for (size_t i = 0; i < n; i++) {
        double d;
        AC_TRY(acr_float64(args, &d));
        AC_TRY(acw_float64(out, d));
    }
    return AC_OK;
}

/* [bytes] -> text (fails unless valid UTF-8). */
static int f_text(acr *args, ac_buf *out) {
    const uint8_t *p;
    size_t n;
    AC_TRY(acr_bytes(args, &p, &n));
    return acw_text(out, (const char *)p, n);
}

/* [[text...]] -> sorted with ac_sort_keys (keys have no NUL). */
static int f_sort_keys(acr *args, ac_buf *out) {
    size_t n;
    AC_TRY(acr_array(args, &n));
    const char **keys = ac_alloc(n * sizeof *keys);
    if (!keys) return ac_fail(AC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        AC_TRY(acr_text(args, &k, &kn));
        char *z = ac_alloc(kn + 1);
        if (!z) return ac_fail(AC_ERR_NOMEM, "out of memory");
        memcpy(z, k, kn);
        z[kn] = 0;
        keys[i] = z;
    }
    ac_sort_keys(keys, n);
    AC_TRY(acw_array(out, n));
    for (size_t i = 0; i < n; i++) AC_TRY(acw_cstr(out, keys[i]));
    return AC_OK;
}

/* [[text...]] -> {key: null} written in the given order with acw_map_key. */
static int f_map_keys(acr *args, ac_buf *out) {
    size_t n;
    acw_keycur cur = { 0 };
    AC_TRY(acr_array(args, &n));
    AC_TRY(acw_map(out, n));
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t kn;
        AC_TRY(acr_text(args, &k, &kn));
        AC_TRY(acw_map_key(out, &cur, k, kn));
        AC_TRY(acw_null(out));
    }
    return AC_OK;
}

static int f_fmt(acr *args, ac_buf *out) {
    return ac_failf(AC_ERR_UNSUPPORTED, "%s|%d|%u|%x|%zu|%lld|%llu|%llx|%c|%%|%s|%.*s|%ld", "str", -42, 42u, 0xbeefu,
                    (size_t)7, (long long)INT64_MIN, (unsigned long long)UINT64_MAX, 0xdeadbeefcafeull, 'z',
                    (const char *)0, 3, "abcdef", -7L);
}

/* [codec, mh_code, digest] -> the CIDv1 as a link. */
static int f_cid(acr *args, ac_buf *out) {
    uint64_t codec, code;
    const uint8_t *d;
    size_t n;
    AC_TRY(acr_uint(args, &codec));
    AC_TRY(acr_uint(args, &code));
    AC_TRY(acr_bytes(args, &d, &n));
    ac_buf cid;
    ac_buf_init(&cid);
    AC_TRY(ac_cid_v1(codec, code, d, n, &cid));
    if (ac_cid_check(cid.data, cid.len)) return ac_fail(AC_ERR_INVALID, "ac_cid_check refused ac_cid_v1's output");
    return acw_cid(out, cid.data, cid.len);
}

/* [bytes] -> [value, bytes used, re-encoded] or an error for a malformed varint. */
static int f_varint(acr *args, ac_buf *out) {
    const uint8_t *p, *q;
    size_t n;
    uint64_t v;
    AC_TRY(acr_bytes(args, &p, &n));
    q = p;
    if (ac_varint_read(&q, p + n, &v)) return ac_fail(AC_ERR_INVALID, "bad varint");
    ac_buf again;
    ac_buf_init(&again);
    AC_TRY(ac_buf_varint(&again, v));
    AC_TRY(acw_array(out, 3));
    AC_TRY(acw_uint(out, v));
    AC_TRY(acw_uint(out, (uint64_t)(q - p)));
    return acw_bytes(out, again.data, again.len);
}

/* [bytes] -> [hex text, bytes decoded back from upper-cased hex] */
static int f_hex(acr *args, ac_buf *out) {
    const uint8_t *p;
    size_t n;
    AC_TRY(acr_bytes(args, &p, &n));
    ac_buf h;
    ac_buf_init(&h);
    AC_TRY(ac_buf_hex(&h, p, n));
    char *up = ac_alloc(h.len + 1);
    uint8_t *back = ac_alloc(n + 1);
    if (!up || !back) return ac_fail(AC_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < h.len; i++) up[i] = (char)(h.data[i] >= 'a' ? h.data[i] - 32 : h.data[i]);
    if (ac_hex_decode(up, h.len, back)) return ac_fail(AC_ERR_INTERNAL, "hex round trip");
    if (ac_hex_decode("0g", 2, back) == AC_OK || ac_hex_decode("abc", 3, back) == AC_OK)
        return ac_fail(AC_ERR_INTERNAL, "bad hex accepted");
    AC_TRY(acw_array(out, 2));
    AC_TRY(acw_text(out, (const char *)h.data, h.len));
    return acw_bytes(out, back, n);
}

/* [n] -> n after allocating (and touching) n bytes; NOMEM when memory cannot grow. */
static int f_alloc(acr *args, ac_buf *out) {
    uint64_t n;
    AC_TRY(acr_uint(args, &n));
    if (n > SIZE_MAX) return ac_fail(AC_ERR_NOMEM, "out of memory");
    uintptr_t mark = ac_mark();
    uint8_t *p = ac_alloc((size_t)n);
    if (!p) return ac_fail(AC_ERR_NOMEM, "out of memory");
    if ((uintptr_t)p & 7) return ac_fail(AC_ERR_INTERNAL, "unaligned");
    if (n) { p[0] = 1; p[n - 1] = 2; }
    ac_release(mark);
    if (ac_mark() != mark) return ac_fail(AC_ERR_INTERNAL, "release");
    return acw_uint(out, n);
}

/* [map, key] -> value or null when missing. */
static int f_find(acr *args, ac_buf *out) {
    acr map = *args, val;
    bool found;
    AC_TRY(acr_skip(args));
    const char *k;
    size_t kn;
    AC_TRY(acr_text(args, &k, &kn));
    char key[64];
    if (kn >= sizeof key) return ac_fail(AC_ERR_UNSUPPORTED, "key too long");
    memcpy(key, k, kn);
    key[kn] = 0;
    AC_TRY(acr_find(&map, key, &val, &found));
    if (!found) return acw_null(out);
    const uint8_t *start = val.p;
    AC_TRY(acr_skip(&val));
    return ac_buf_put(out, start, (size_t)(val.p - start));
}

/* [any] -> the same item, copied after acr_skip validated it. */
static int f_echo(acr *args, ac_buf *out) {
    const uint8_t *start = args->p;
    AC_TRY(acr_skip(args));
    return ac_buf_put(out, start, (size_t)(args->p - start));
}

/* [n] -> bytes of length n built one ac_buf_byte at a time, interleaved with other
 * allocations so the buffer grows both in place and by copying. */
static int f_grow(acr *args, ac_buf *out) {
    uint64_t n;
    AC_TRY(acr_uint(args, &n));
    ac_buf b;
    ac_buf_init(&b);
    for (uint64_t i = 0; i < n; i++) {
        AC_TRY(ac_buf_byte(&b, (uint8_t)(i * 7)));
        if (i % 1000 == 999 && !ac_alloc(1)) return ac_fail(AC_ERR_NOMEM, "out of memory");
    }
    return acw_bytes(out, b.data, b.len);
}

static int selftest(const uint8_t *in, size_t n, ac_buf *out) {
    acr r, fnr, args;
    bool found;
    acr_init(&r, in, n);
    AC_TRY(acr_find(&r, "fn", &fnr, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "no fn");
    const char *fn;
    size_t fl;
    AC_TRY(acr_text(&fnr, &fn, &fl));
    AC_TRY(acr_find(&r, "args", &args, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "no args");
    size_t argc;
    AC_TRY(acr_array(&args, &argc));
    static const struct { const char *name; int (*f)(acr *, ac_buf *); } fns[] = {
        { "ints", f_ints }, { "float_bits", f_float_bits }, { "floats", f_floats }, { "text", f_text },
        { "sort_keys", f_sort_keys }, { "map_keys", f_map_keys }, { "fmt", f_fmt }, { "cid", f_cid },
        { "varint", f_varint }, { "hex", f_hex }, { "alloc", f_alloc }, { "find", f_find }, { "echo", f_echo },
        { "grow", f_grow },
    };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (eq(fn, fl, fns[i].name)) return fns[i].f(&args, out);
    return ac_failf(AC_ERR_UNSUPPORTED, "unknown function %.*s", (int)fl, fn);
}

AC_EXPORT_TASK(selftest)
