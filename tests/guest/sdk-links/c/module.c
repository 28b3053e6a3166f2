/* lpl (tests/guest/sdk-links/README.md): records [type u8][len u32 LE][payload]; type 0 = bytes, 1 = a binary CID (a link),
 * 0xee = the payload is returned as the error message (a test hook). Data model: a list. */
#include "ac.h"

/* The record at *pos (structure checked): type and payload; advances *pos. */
static int next(const uint8_t *in, size_t n, size_t *pos, uint8_t *t, const uint8_t **p, size_t *len) {
    if (n - *pos < 5) return ac_fail(AC_ERR_INVALID, "lpl: truncated record head");
    *t = in[*pos];
    *len = ac_le32(in + *pos + 1);
    *pos += 5;
    if (*len > n - *pos) return ac_fail(AC_ERR_INVALID, "lpl: record past the end");
    *p = in + *pos;
    *pos += *len;
    if (*t == 1 && ac_cid_check(*p, *len)) return ac_fail(AC_ERR_INVALID, "lpl: a link record holds a malformed CID");
    if (*t == 0xee) return ac_failf(AC_ERR_INVALID, "%.*s", (int)*len, (const char *)*p);
    if (*t > 1) return ac_fail(AC_ERR_INVALID, "lpl: unknown record type");
    return AC_OK;
}

static int emit(const uint8_t *in, size_t n, ac_buf *out, bool links_only) {
    size_t pos = 0, count = 0, len;
    uint8_t t;
    const uint8_t *p;
    while (pos < n) {
        AC_TRY(next(in, n, &pos, &t, &p, &len));
        if (!links_only || t == 1) count++;
    }
    AC_TRY(acw_array(out, count));
    pos = 0;
    while (pos < n) {
        AC_TRY(next(in, n, &pos, &t, &p, &len));
        if (t == 1) AC_TRY(acw_cid(out, p, len));
        else if (!links_only) AC_TRY(acw_bytes(out, p, len));
    }
    return out->err;
}

static int lpl_decode(const uint8_t *in, size_t n, ac_buf *out) { return emit(in, n, out, false); }
static int lpl_links(const uint8_t *in, size_t n, ac_buf *out) { return emit(in, n, out, true); }

static int lpl_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t count, len;
    const uint8_t *p;
    acr_init(&r, in, n);
    AC_TRY(acr_array(&r, &count));
    for (size_t i = 0; i < count; i++) {
        bool link = acr_peek(&r) == ACR_TAG;
        AC_TRY(link ? acr_cid(&r, &p, &len) : acr_bytes(&r, &p, &len));
        AC_TRY(ac_buf_byte(out, link ? 1 : 0));
        AC_TRY(ac_buf_le32(out, (uint32_t)len));
        AC_TRY(ac_buf_put(out, p, len));
    }
    return acr_finish(&r);
}

AC_EXPORT_CODEC(lpl_decode, lpl_encode, lpl_links)
