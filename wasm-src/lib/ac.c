/*
 * ac.c - the guest helper library behind include/ac.h (autocodec ABI v1).
 *
 * Invariants (see ac.h for the API contract):
 *   - The arena is the region [__heap_base, ac__top); ac_input() rewinds it.  Memory is
 *     grown page-wise with memory.grow and never shrinks; a failed grow returns NULL.
 *   - The result slot is a static {u32 ptr; u32 len} whose address never changes.
 *   - Nothing here traps on bad input: every read is checked against its end pointer and
 *     every size computation against overflow.
 *   - The batch frame is built in place at the arena top: each item's output is moved
 *     down next to the previous one and the arena is rewound past it, so a batch uses
 *     memory proportional to its output plus the largest item's scratch.
 */
#include "ac.h"

#define AC_PAGE 65536u

extern unsigned char __heap_base;

static uintptr_t ac__top;            /* next free arena byte; 0 before first use */
static uint32_t ac__slot[2];         /* the result slot: ptr, len */
static const char ac__oom_msg[] = "out of memory";

/* ---- memory primitives ---------------------------------------------------------------- */

#if defined(__wasm_bulk_memory__)
/* With bulk memory these builtins lower to single memory.copy / memory.fill instructions. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n) { return __builtin_memcpy(dst, src, n); }
void *memmove(void *dst, const void *src, size_t n) { return __builtin_memmove(dst, src, n); }
void *memset(void *dst, int c, size_t n) { return __builtin_memset(dst, c, n); }
#else
void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0) return dst;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        d += n; s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    uint8_t *d = dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}
#endif

int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x < *y ? -1 : 1;
    return 0;
}

size_t ac_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* ---- arena ------------------------------------------------------------------------------- */

static uintptr_t ac__base(void) { return ((uintptr_t)&__heap_base + 7u) & ~(uintptr_t)7u; }

/* Make sure linear memory covers [0, end). */
static bool ac__ensure(uint64_t end) {
    uint64_t have = (uint64_t)__builtin_wasm_memory_size(0) * AC_PAGE;
    if (end <= have) return true;
    if (end > 0xFFFFFFFFull) return false;
    uint64_t pages = (end - have + AC_PAGE - 1) / AC_PAGE;
    return __builtin_wasm_memory_grow(0, (size_t)pages) != (size_t)-1;
}

void *ac_alloc(size_t n) {
    if (ac__top == 0) ac__top = ac__base();
    uint64_t at = ((uint64_t)ac__top + 7u) & ~(uint64_t)7u;
    uint64_t end = at + (uint64_t)n;
    if (!ac__ensure(end)) return NULL;
    ac__top = (uintptr_t)end;
    return (void *)(uintptr_t)at;
}

void *ac_calloc(size_t n) {
    void *p = ac_alloc(n);
    if (p) memset(p, 0, n);
    return p;
}

uintptr_t ac_mark(void) {
    if (ac__top == 0) ac__top = ac__base();
    return ac__top;
}

void ac_release(uintptr_t mark) {
    if (mark >= ac__base() && mark <= ac__top) ac__top = mark;
}

void *ac_arena_reset(size_t n) {
    ac__top = ac__base();
    ac__slot[0] = ac__slot[1] = 0;
    return ac_alloc(n);
}

/* ---- ABI core exports ---------------------------------------------------------------------- */

AC_EXPORT(ac_abi_version) int ac_abi_version(void) { return AC_ABI_VERSION; }

AC_EXPORT(ac_input) uint8_t *ac_input(size_t n) { return ac_arena_reset(n); }

AC_EXPORT(ac_result) uint32_t *ac_result(void) { return ac__slot; }

void ac_set_result(const void *p, size_t n) {
    ac__slot[0] = (uint32_t)(uintptr_t)p;
    ac__slot[1] = (uint32_t)n;
}

/* ---- errors and formatting ------------------------------------------------------------------- */

static int ac__norm_status(int status) {
    return (status >= AC_ERR_INVALID && status <= AC_ERR_INTERNAL) ? status : AC_ERR_INTERNAL;
}

int ac_fail(int status, const char *msg) {
    status = ac__norm_status(status);
    size_t n = ac_strlen(msg);
    uint8_t *copy = ac_alloc(n);
    if (copy) {
        memcpy(copy, msg, n);
        ac_set_result(copy, n);
    } else {
        ac_set_result(ac__oom_msg, sizeof ac__oom_msg - 1);
    }
    return status;
}

typedef struct { char *p; size_t left; size_t n; } ac__out;

static void ac__putc(ac__out *o, char c) {
    if (o->left > 1) { *o->p++ = c; o->left--; }
    o->n++;
}

static void ac__putu(ac__out *o, uint64_t v, unsigned base) {
    char tmp[24];
    int i = 0;
    do { unsigned d = (unsigned)(v % base); tmp[i++] = (char)(d < 10 ? '0' + d : 'a' + d - 10); v /= base; } while (v);
    while (i) ac__putc(o, tmp[--i]);
}

size_t ac_vformat(char *dst, size_t cap, const char *fmt, va_list ap) {
    ac__out o = { dst, cap, 0 };
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') { ac__putc(&o, *f); continue; }
        f++;
        int longs = 0, prec = -1;
        bool z = false;
        if (f[0] == '.' && f[1] == '*') { prec = va_arg(ap, int); f += 2; }
        while (*f == 'l') { longs++; f++; }
        if (*f == 'z') { z = true; f++; }
        switch (*f) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            for (int i = 0; (prec < 0 || i < prec) && s[i]; i++) ac__putc(&o, s[i]);
            break;
        }
        case 'c': ac__putc(&o, (char)va_arg(ap, int)); break;
        case 'd': {
            int64_t v = longs >= 2 ? va_arg(ap, long long) : longs ? va_arg(ap, long) : z ? (int64_t)va_arg(ap, size_t) : va_arg(ap, int);
            if (v < 0) { ac__putc(&o, '-'); ac__putu(&o, (uint64_t)0 - (uint64_t)v, 10); }
            else ac__putu(&o, (uint64_t)v, 10);
            break;
        }
        case 'u': case 'x': {
            uint64_t v = longs >= 2 ? va_arg(ap, unsigned long long) : longs ? va_arg(ap, unsigned long) : z ? va_arg(ap, size_t) : va_arg(ap, unsigned);
            ac__putu(&o, v, *f == 'x' ? 16 : 10);
            break;
        }
        case '%': ac__putc(&o, '%'); break;
        case '\0': f--; break;
        default: ac__putc(&o, '%'); ac__putc(&o, *f); break;
        }
    }
    if (cap) *o.p = '\0';
    return o.n < cap ? o.n : (cap ? cap - 1 : 0);
}

int ac_failf(int status, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    ac_vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ac_fail(status, msg);
}

/* ---- output buffer --------------------------------------------------------------------------- */

void ac_buf_init(ac_buf *b) { b->data = NULL; b->len = 0; b->cap = 0; b->err = 0; }

int ac_buf_fail(ac_buf *b, int status, const char *msg) {
    if (!b->err) b->err = ac_fail(status, msg);
    return b->err;
}

int ac_buf_reserve(ac_buf *b, size_t n) {
    if (b->err) return b->err;
    if (n <= b->cap - b->len) return AC_OK;
    uint64_t need = (uint64_t)b->len + n;
    uint64_t want = (uint64_t)b->cap * 2;
    if (want < need) want = need;
    if (want < 64) want = 64;
    want = (want + 7u) & ~(uint64_t)7u;
    if (want > 0xFFFFFFF0ull) return ac_buf_fail(b, AC_ERR_NOMEM, "output too large");
    /* Grow in place when the buffer is the last allocation of the arena. */
    if (b->data && (uintptr_t)b->data + b->cap == ac__top) {
        if (ac__ensure((uint64_t)(uintptr_t)b->data + want)) {
            ac__top = (uintptr_t)b->data + (uintptr_t)want;
            b->cap = (size_t)want;
            return AC_OK;
        }
        return ac_buf_fail(b, AC_ERR_NOMEM, "out of memory");
    }
    uint8_t *p = ac_alloc((size_t)want);
    if (!p) return ac_buf_fail(b, AC_ERR_NOMEM, "out of memory");
    if (b->len) memcpy(p, b->data, b->len);
    b->data = p;
    b->cap = (size_t)want;
    return AC_OK;
}

uint8_t *ac_buf_extend(ac_buf *b, size_t n) {
    if (ac_buf_reserve(b, n)) return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

int ac_buf_put(ac_buf *b, const void *p, size_t n) {
    uint8_t *d = ac_buf_extend(b, n);
    if (!d) return b->err;
    if (n) memcpy(d, p, n);
    return AC_OK;
}

int ac_buf_byte(ac_buf *b, uint8_t c) {
    if (b->err) return b->err;
    if (b->len < b->cap) { b->data[b->len++] = c; return AC_OK; }
    return ac_buf_put(b, &c, 1);
}

int ac_buf_le32(ac_buf *b, uint32_t v) {
    uint8_t *d = ac_buf_extend(b, 4);
    if (!d) return b->err;
    ac_put_le32(d, v);
    return AC_OK;
}

int ac_buf_le64(ac_buf *b, uint64_t v) {
    uint8_t *d = ac_buf_extend(b, 8);
    if (!d) return b->err;
    ac_put_le64(d, v);
    return AC_OK;
}

/* ---- varint, hex, CID ---------------------------------------------------------------------- */

int ac_buf_varint(ac_buf *b, uint64_t v) {
    if (v >> 63) return ac_buf_fail(b, AC_ERR_INTERNAL, "varint over 63 bits");
    uint8_t tmp[10];
    size_t n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = v ? (uint8_t)(c | 0x80) : c;
    } while (v);
    return ac_buf_put(b, tmp, n);
}

int ac_varint_read(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned i = 0; i < 9; i++) {
        if (p >= end) return AC_ERR_INVALID;
        uint8_t c = *p++;
        v |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            if (c == 0 && i > 0) return AC_ERR_INVALID; /* non-minimal */
            *pp = p;
            *out = v;
            return AC_OK;
        }
    }
    return AC_ERR_INVALID; /* longer than 9 bytes */
}

int ac_buf_hex(ac_buf *b, const uint8_t *p, size_t n) {
    static const char digits[] = "0123456789abcdef";
    if (n > (SIZE_MAX >> 1)) return ac_buf_fail(b, AC_ERR_NOMEM, "output too large");
    uint8_t *d = ac_buf_extend(b, 2 * n);
    if (!d) return b->err;
    for (size_t i = 0; i < n; i++) {
        d[2 * i] = (uint8_t)digits[p[i] >> 4];
        d[2 * i + 1] = (uint8_t)digits[p[i] & 15];
    }
    return AC_OK;
}

static int ac__hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int ac_hex_decode(const char *s, size_t n2, uint8_t *out) {
    if (n2 & 1) return AC_ERR_INVALID;
    for (size_t i = 0; i < n2; i += 2) {
        int hi = ac__hexval(s[i]), lo = ac__hexval(s[i + 1]);
        if (hi < 0 || lo < 0) return AC_ERR_INVALID;
        out[i / 2] = (uint8_t)(hi << 4 | lo);
    }
    return AC_OK;
}

int ac_cid_v1(uint64_t codec, uint64_t mh_code, const uint8_t *digest, size_t n, ac_buf *out) {
    AC_TRY(ac_buf_byte(out, 1));
    AC_TRY(ac_buf_varint(out, codec));
    AC_TRY(ac_buf_varint(out, mh_code));
    AC_TRY(ac_buf_varint(out, n));
    return ac_buf_put(out, digest, n);
}

int ac_cid_check(const uint8_t *p, size_t n) {
    if (n == 34 && p[0] == 0x12 && p[1] == 0x20) return AC_OK; /* CIDv0 */
    if (n < 4 || p[0] != 0x01) return AC_ERR_INVALID;
    const uint8_t *q = p + 1, *end = p + n;
    uint64_t codec, code, size;
    if (ac_varint_read(&q, end, &codec) || ac_varint_read(&q, end, &code) || ac_varint_read(&q, end, &size))
        return AC_ERR_INVALID;
    if (size > 1024 || size != (uint64_t)(end - q)) return AC_ERR_INVALID;
    return AC_OK;
}

/* ---- DAG-CBOR writer ----------------------------------------------------------------------------- */

int acw_head(ac_buf *b, unsigned major, uint64_t arg) {
    uint8_t h[9];
    size_t n;
    uint8_t m = (uint8_t)(major << 5);
    if (arg < 24) { h[0] = m | (uint8_t)arg; n = 1; }
    else if (arg <= 0xff) { h[0] = m | 24; h[1] = (uint8_t)arg; n = 2; }
    else if (arg <= 0xffff) { h[0] = m | 25; h[1] = (uint8_t)(arg >> 8); h[2] = (uint8_t)arg; n = 3; }
    else if (arg <= 0xffffffffull) {
        h[0] = m | 26; n = 5;
        for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(arg >> (24 - 8 * i));
    } else {
        h[0] = m | 27; n = 9;
        for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(arg >> (56 - 8 * i));
    }
    return ac_buf_put(b, h, n);
}

int acw_uint(ac_buf *b, uint64_t v) { return acw_head(b, 0, v); }
int acw_neg(ac_buf *b, uint64_t m) { return acw_head(b, 1, m); }
int acw_int(ac_buf *b, int64_t v) {
    return v >= 0 ? acw_head(b, 0, (uint64_t)v) : acw_head(b, 1, (uint64_t)(-(v + 1)));
}

int acw_bytes(ac_buf *b, const void *p, size_t n) {
    AC_TRY(acw_head(b, 2, n));
    return ac_buf_put(b, p, n);
}

/* Length of the valid UTF-8 prefix's first error, or n if all of [p, p+n) is valid. */
static size_t ac__utf8_bad(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t k;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
        else return i;
        if (n - i <= k) return i;
        for (size_t j = 1; j <= k; j++) {
            uint8_t cc = p[i + j];
            if ((cc & 0xc0) != 0x80) return i;
            cp = cp << 6 | (cc & 0x3f);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return i;
        i += k + 1;
    }
    return n;
}

bool ac_utf8_valid(const uint8_t *p, size_t n) { return ac__utf8_bad(p, n) == n; }

int acw_text(ac_buf *b, const char *p, size_t n) {
    if (b->err) return b->err;
    if (!ac_utf8_valid((const uint8_t *)p, n)) return ac_buf_fail(b, AC_ERR_INVALID, "text is not valid UTF-8");
    AC_TRY(acw_head(b, 3, n));
    return ac_buf_put(b, p, n);
}

int acw_cstr(ac_buf *b, const char *s) { return acw_text(b, s, ac_strlen(s)); }
int acw_array(ac_buf *b, uint64_t n) { return acw_head(b, 4, n); }
int acw_map(ac_buf *b, uint64_t n) { return acw_head(b, 5, n); }
int acw_bool(ac_buf *b, bool v) { return ac_buf_byte(b, v ? 0xf5 : 0xf4); }
int acw_null(ac_buf *b) { return ac_buf_byte(b, 0xf6); }

int acw_float64(ac_buf *b, double v) {
    uint64_t bits;
    __builtin_memcpy(&bits, &v, 8);
    if (((bits >> 52) & 0x7ff) == 0x7ff)
        return ac_buf_fail(b, AC_ERR_INVALID, "NaN and Infinity are not allowed in DAG-CBOR");
    uint8_t *d = ac_buf_extend(b, 9);
    if (!d) return b->err;
    d[0] = 0xfb;
    for (int i = 0; i < 8; i++) d[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
    return AC_OK;
}

int acw_cid(ac_buf *b, const uint8_t *cid, size_t n) {
    AC_TRY(ac_buf_byte(b, 0xd8));
    AC_TRY(ac_buf_byte(b, 42));
    AC_TRY(acw_head(b, 2, (uint64_t)n + 1));
    AC_TRY(ac_buf_byte(b, 0));
    return ac_buf_put(b, cid, n);
}

int ac_key_cmp(const char *a, size_t an, const char *b, size_t bn) {
    if (an != bn) return an < bn ? -1 : 1;
    return memcmp(a, b, an);
}

void ac_sort_keys(const char **keys, size_t n) {
    for (size_t i = 1; i < n; i++) {
        const char *k = keys[i];
        size_t kn = ac_strlen(k), j = i;
        while (j > 0 && ac_key_cmp(keys[j - 1], ac_strlen(keys[j - 1]), k, kn) > 0) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = k;
    }
}

int acw_map_key(ac_buf *b, acw_keycur *prev, const char *k, size_t n) {
    if (b->err) return b->err;
    if (prev->any && ac_key_cmp(prev->p, prev->n, k, n) >= 0)
        return ac_buf_fail(b, AC_ERR_INTERNAL, "map keys written out of canonical order (or duplicated)");
    prev->p = k; prev->n = n; prev->any = true;
    return acw_text(b, k, n);
}

/* ---- DAG-CBOR reader ------------------------------------------------------------------------------ */

void acr_init(acr *r, const uint8_t *p, size_t n) { r->start = r->p = p; r->end = p + n; r->err = 0; }

int acr_fail(acr *r, int status, const char *msg) {
    if (!r->err)
        r->err = ac_failf(status, "DAG-CBOR: %s at byte %zu", msg, (size_t)(r->p - r->start));
    return r->err;
}

int acr_peek(const acr *r) {
    if (r->err || r->p >= r->end) return ACR_END;
    return *r->p >> 5;
}

int acr_head(acr *r, unsigned *major, uint64_t *arg) {
    if (r->err) return r->err;
    if (r->p >= r->end) return acr_fail(r, AC_ERR_INVALID, "unexpected end of data");
    uint8_t ib = *r->p;
    unsigned m = ib >> 5, ai = ib & 31;
    size_t extra;
    if (ai < 24) extra = 0;
    else if (ai <= 27) extra = (size_t)1 << (ai - 24);
    else if (ai == 31) return acr_fail(r, AC_ERR_INVALID, "indefinite length items are not allowed");
    else return acr_fail(r, AC_ERR_INVALID, "reserved additional information");
    if ((size_t)(r->end - r->p) - 1 < extra) return acr_fail(r, AC_ERR_INVALID, "unexpected end of data");
    uint64_t v = ai < 24 ? ai : 0;
    for (size_t i = 0; i < extra; i++) v = v << 8 | r->p[1 + i];
    if (m == 7) {
        if (ai == 27) {
            if (((v >> 52) & 0x7ff) == 0x7ff) return acr_fail(r, AC_ERR_INVALID, "NaN and Infinity are not allowed");
        } else if (ai < 20 || ai > 22) {
            return acr_fail(r, AC_ERR_INVALID,
                            ai == 25 || ai == 26 ? "floats must be 64-bit" : "only true, false and null simple values are allowed");
        }
    } else {
        static const uint64_t minimum[4] = { 24, 0x100, 0x10000, 0x100000000ull };
        if (ai >= 24 && v < minimum[ai - 24]) return acr_fail(r, AC_ERR_INVALID, "integer or length not minimally encoded");
        if (m == 6 && v != 42) return acr_fail(r, AC_ERR_INVALID, "only tag 42 (CID) is allowed");
    }
    r->p += 1 + extra;
    *major = m;
    *arg = v;
    return AC_OK;
}

static int acr__expect(acr *r, unsigned want, uint64_t *arg, const char *what) {
    unsigned m;
    const uint8_t *at = r->p;
    AC_TRY(acr_head(r, &m, arg));
    if (m != want) { r->p = at; return acr_fail(r, AC_ERR_INVALID, what); }
    return AC_OK;
}

int acr_uint(acr *r, uint64_t *v) { return acr__expect(r, 0, v, "expected an unsigned integer"); }

int acr_integer(acr *r, bool *neg, uint64_t *mag) {
    unsigned m;
    const uint8_t *at = r->p;
    AC_TRY(acr_head(r, &m, mag));
    if (m > 1) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "expected an integer"); }
    *neg = m == 1;
    return AC_OK;
}

int acr_int(acr *r, int64_t *v) {
    bool neg;
    uint64_t mag;
    const uint8_t *at = r->p;
    AC_TRY(acr_integer(r, &neg, &mag));
    if (mag > (uint64_t)INT64_MAX) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "integer out of 64-bit range"); }
    *v = neg ? -1 - (int64_t)mag : (int64_t)mag;
    return AC_OK;
}

static int acr__span(acr *r, unsigned major, const uint8_t **p, size_t *n, const char *what) {
    uint64_t len;
    const uint8_t *at = r->p;
    AC_TRY(acr__expect(r, major, &len, what));
    if (len > (uint64_t)(r->end - r->p)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
    *p = r->p;
    *n = (size_t)len;
    r->p += len;
    return AC_OK;
}

int acr_bytes(acr *r, const uint8_t **p, size_t *n) { return acr__span(r, 2, p, n, "expected bytes"); }

int acr_text(acr *r, const char **p, size_t *n) {
    const uint8_t *at = r->p, *s;
    AC_TRY(acr__span(r, 3, &s, n, "expected a string"));
    if (!ac_utf8_valid(s, *n)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "string is not valid UTF-8"); }
    *p = (const char *)s;
    return AC_OK;
}

int acr_array(acr *r, size_t *n) {
    uint64_t len;
    const uint8_t *at = r->p;
    AC_TRY(acr__expect(r, 4, &len, "expected an array"));
    if (len > (uint64_t)(r->end - r->p)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "array length runs past the end of data"); }
    *n = (size_t)len;
    return AC_OK;
}

int acr_map(acr *r, size_t *n) {
    uint64_t len;
    const uint8_t *at = r->p;
    AC_TRY(acr__expect(r, 5, &len, "expected a map"));
    if (len > (uint64_t)(r->end - r->p) / 2) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "map length runs past the end of data"); }
    *n = (size_t)len;
    return AC_OK;
}

int acr_bool(acr *r, bool *v) {
    uint64_t a;
    const uint8_t *at = r->p;
    AC_TRY(acr__expect(r, 7, &a, "expected a boolean"));
    if (*at != 0xf4 && *at != 0xf5) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "expected a boolean"); }
    *v = *at == 0xf5;
    return AC_OK;
}

int acr_null(acr *r) {
    if (r->err) return r->err;
    if (r->p < r->end && *r->p == 0xf6) { r->p++; return AC_OK; }
    return acr_fail(r, AC_ERR_INVALID, "expected null");
}

bool acr_try_null(acr *r) {
    if (!r->err && r->p < r->end && *r->p == 0xf6) { r->p++; return true; }
    return false;
}

int acr_float64(acr *r, double *v) {
    uint64_t bits;
    const uint8_t *at = r->p;
    AC_TRY(acr__expect(r, 7, &bits, "expected a float"));
    if (*at != 0xfb) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "expected a float"); }
    __builtin_memcpy(v, &bits, 8);
    return AC_OK;
}

/* After a tag 42 head: the 0x00-prefixed binary CID. */
static int acr__cid_body(acr *r, const uint8_t **p, size_t *n) {
    const uint8_t *b;
    size_t bn;
    AC_TRY(acr__span(r, 2, &b, &bn, "tag 42 must wrap bytes"));
    if (bn == 0 || b[0] != 0) return acr_fail(r, AC_ERR_INVALID, "tag 42 bytes must start with 0x00");
    if (ac_cid_check(b + 1, bn - 1)) return acr_fail(r, AC_ERR_INVALID, "tag 42 holds a malformed CID");
    *p = b + 1;
    *n = bn - 1;
    return AC_OK;
}

int acr_cid(acr *r, const uint8_t **p, size_t *n) {
    uint64_t tag;
    AC_TRY(acr__expect(r, 6, &tag, "expected a link (tag 42)"));
    return acr__cid_body(r, p, n);
}

typedef struct {
    uint64_t rem;        /* items left at this level (keys and values for maps) */
    const uint8_t *key;  /* previous key at a map level */
    uint32_t keylen;
    bool is_map;
} acr__lvl;

int acr_walk(acr *r, ac_cid_fn on_cid, void *ctx) {
    acr__lvl st[AC_MAX_DEPTH + 1];
    unsigned d = 0;
    st[0].rem = 1;
    st[0].is_map = false;
    if (r->err) return r->err;
    for (;;) {
        while (st[d].rem == 0) {
            if (d == 0) return AC_OK;
            d--;
        }
        acr__lvl *L = &st[d];
        bool is_key = L->is_map && (L->rem & 1) == 0;
        L->rem--;
        if (is_key) {
            const char *k;
            size_t kn;
            const uint8_t *at = r->p;
            if (r->p < r->end && (*r->p >> 5) != 3) return acr_fail(r, AC_ERR_INVALID, "map keys must be strings");
            AC_TRY(acr_text(r, &k, &kn));
            if (L->key && ac_key_cmp((const char *)L->key, L->keylen, k, kn) >= 0) {
                r->p = at;
                return acr_fail(r, AC_ERR_INVALID,
                                ac_key_cmp((const char *)L->key, L->keylen, k, kn) == 0 ? "duplicate map key"
                                                                                         : "map keys not in canonical order");
            }
            L->key = (const uint8_t *)k;
            L->keylen = (uint32_t)kn;
            continue;
        }
        unsigned m;
        uint64_t arg;
        const uint8_t *at = r->p;
        AC_TRY(acr_head(r, &m, &arg));
        uint64_t left = (uint64_t)(r->end - r->p);
        switch (m) {
        case 2: case 3:
            if (arg > left) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
            if (m == 3 && !ac_utf8_valid(r->p, (size_t)arg)) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "string is not valid UTF-8"); }
            r->p += arg;
            break;
        case 4: case 5: {
            uint64_t items = m == 5 ? arg * 2 : arg;
            if ((m == 5 && arg > left / 2) || items > left) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "length runs past the end of data"); }
            if (d >= AC_MAX_DEPTH) { r->p = at; return acr_fail(r, AC_ERR_INVALID, "nesting too deep"); }
            if (items) {
                d++;
                st[d].rem = items;
                st[d].is_map = m == 5;
                st[d].key = NULL;
                st[d].keylen = 0;
            }
            break;
        }
        case 6: {
            const uint8_t *cid;
            size_t cn;
            AC_TRY(acr__cid_body(r, &cid, &cn));
            if (on_cid) AC_TRY(on_cid(ctx, cid, cn));
            break;
        }
        default: /* 0, 1, 7: fully validated by acr_head */
            break;
        }
    }
}

int acr_skip(acr *r) { return acr_walk(r, NULL, NULL); }

int acr_find(acr *r, const char *key, acr *val, bool *found) {
    acr m = *r;
    size_t n, kn = ac_strlen(key);
    *found = false;
    if (acr_map(&m, &n)) return r->err = m.err;
    for (size_t i = 0; i < n; i++) {
        const char *k;
        size_t klen;
        if (acr_text(&m, &k, &klen)) return r->err = m.err;
        if (klen == kn && memcmp(k, key, kn) == 0) {
            *val = m;
            *found = true;
            return AC_OK;
        }
        if (acr_skip(&m)) return r->err = m.err;
    }
    return AC_OK;
}

int acr_finish(acr *r) {
    if (r->err) return r->err;
    if (r->p != r->end) return acr_fail(r, AC_ERR_INVALID, "trailing bytes after the item");
    return AC_OK;
}

/* ---- crypto frame ------------------------------------------------------------------------------- */

int ac_verify_frame(const uint8_t *p, size_t n, ac_verify_args *a) {
    const uint8_t *end = p + n;
    if (n < 8) return ac_fail(AC_ERR_INVALID, "verify frame: truncated header");
    a->key_type = ac_le32(p);
    a->pk_len = ac_le32(p + 4);
    p += 8;
    if (a->pk_len > (size_t)(end - p)) return ac_fail(AC_ERR_INVALID, "verify frame: truncated public key");
    a->pk = p;
    p += a->pk_len;
    if ((size_t)(end - p) < 4) return ac_fail(AC_ERR_INVALID, "verify frame: truncated signature length");
    a->sig_len = ac_le32(p);
    p += 4;
    if (a->sig_len > (size_t)(end - p)) return ac_fail(AC_ERR_INVALID, "verify frame: truncated signature");
    a->sig = p;
    p += a->sig_len;
    a->msg = p;
    a->msg_len = (size_t)(end - p);
    return AC_OK;
}

/* ---- runners behind the export macros ----------------------------------------------------------- */

static int ac__finish_call(int st, ac_buf *out) {
    if (st == AC_OK && out->err) st = out->err;
    if (st == AC_OK) {
        ac_set_result(out->data ? out->data : (const uint8_t *)ac__oom_msg, out->len);
        return AC_OK;
    }
    st = ac__norm_status(st);
    if (ac__slot[1] == 0) {
        static const char *const generic[] = { "", "invalid input", "unsupported input", "out of memory", "internal error" };
        const char *msg = generic[st];
        ac_set_result(msg, ac_strlen(msg));
    }
    return st;
}

int ac__run(ac_item_fn fn, const uint8_t *in, size_t n) {
    ac_buf out;
    ac_buf_init(&out);
    ac_set_result(0, 0);
    return ac__finish_call(fn(in, n, &out), &out);
}

int ac__run0(int (*fn)(ac_buf *out)) {
    ac_buf out;
    ac_buf_init(&out);
    ac_set_result(0, 0);
    return ac__finish_call(fn(&out), &out);
}

int ac__batch(ac_item_fn fn, const uint8_t *in, size_t n) {
    const uint8_t *p = in, *end = in + n;
    if (n < 4) return ac_fail(AC_ERR_INVALID, "batch frame: truncated count");
    uint32_t count = ac_le32(p);
    p += 4;
    uint8_t *base = ac_alloc(0);
    if (!base) return ac_fail(AC_ERR_NOMEM, "out of memory");
    uint64_t flen = 0;
    for (uint32_t i = 0; i < count; i++) {
        if ((size_t)(end - p) < 4) return ac_fail(AC_ERR_INVALID, "batch frame: truncated item length");
        uint32_t len = ac_le32(p);
        p += 4;
        if (len > (size_t)(end - p)) return ac_fail(AC_ERR_INVALID, "batch frame: item runs past the end");
        const uint8_t *item = p;
        p += len;
        /* Reserve the item header at the frame's end; the item's scratch goes above it. */
        if (!ac__ensure((uint64_t)(uintptr_t)base + flen + 8)) return ac_fail(AC_ERR_NOMEM, "out of memory");
        uint8_t *hdr = base + flen;
        flen += 8;
        ac__top = (uintptr_t)(base + flen);
        ac_buf out;
        ac_buf_init(&out);
        ac_set_result(0, 0);
        int st = ac__finish_call(fn(item, len, &out), &out);
        const uint8_t *src = (const uint8_t *)(uintptr_t)ac__slot[0];
        uint32_t sn = ac__slot[1];
        if (!ac__ensure((uint64_t)(uintptr_t)base + flen + sn)) return ac_fail(AC_ERR_NOMEM, "out of memory");
        memmove(base + flen, src, sn);
        ac_put_le32(hdr, (uint32_t)st);
        ac_put_le32(hdr + 4, sn);
        flen += sn;
        ac__top = (uintptr_t)(base + flen);
    }
    if (p != end) return ac_fail(AC_ERR_INVALID, "batch frame: trailing bytes after the last item");
    ac_set_result(base, (size_t)flen);
    return AC_OK;
}
