/* A toy chunker: fixed-size chunks of params {"size": N} bytes (1 <= N <= 2^20).
 * Output: u64 LE absolute offsets of chunk ends; state: the stream position (statics). */
#include "ac.h"

static uint64_t size, pos, last_end;

static int init(const uint8_t *in, size_t n, ac_buf *out) {
    acr r, v;
    bool found;
    acr_init(&r, in, n);
    AC_TRY(acr_find(&r, "size", &v, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "{{name}}: params need \"size\"");
    AC_TRY(acr_uint(&v, &size));
    if (size < 1 || size > (1u << 20)) return ac_fail(AC_ERR_INVALID, "{{name}}: size must be 1..1048576");
    AC_TRY(acr_skip(&r));
    AC_TRY(acr_finish(&r));
    pos = last_end = 0;
    return AC_OK;
}

static int update(const uint8_t *in, size_t n, ac_buf *out) {
    if (size == 0) return ac_fail(AC_ERR_INVALID, "{{name}}: ac_chunk_init was not called");
    pos += n;
    while (pos - last_end >= size) {
        last_end += size;
        AC_TRY(ac_buf_le64(out, last_end));
    }
    return AC_OK;
}

static int final(ac_buf *out) {
    if (pos > last_end) {
        last_end = pos;
        AC_TRY(ac_buf_le64(out, pos));
    }
    return AC_OK;
}

AC_EXPORT_CHUNKER(init, update, final)
