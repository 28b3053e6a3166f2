/* A toy codec: the native form is UTF-8 text, its data model the list of its lines.
 * decode("a\nb") = ["a", "b"]; encode joins them with "\n" again, so encode(decode(x)) == x.
 * Invalid UTF-8 and lines holding "\n" are refused with AC_ERR_INVALID. */
#include "ac.h"

static int decode(const uint8_t *in, size_t n, ac_buf *out) {
    if (!ac_utf8_valid(in, n)) return ac_fail(AC_ERR_INVALID, "{{name}}: the block is not UTF-8 text");
    size_t lines = 1;
    for (size_t i = 0; i < n; i++) lines += in[i] == '\n';
    AC_TRY(acw_array(out, lines));
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] != '\n') continue;
        AC_TRY(acw_text(out, (const char *)in + start, i - start));
        start = i + 1;
    }
    return acw_text(out, (const char *)in + start, n - start);
}

static int encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t count;
    acr_init(&r, in, n);
    AC_TRY(acr_array(&r, &count));
    if (count == 0) return ac_fail(AC_ERR_INVALID, "{{name}}: a document has at least one line");
    for (size_t i = 0; i < count; i++) {
        const char *line;
        size_t len;
        AC_TRY(acr_text(&r, &line, &len));
        for (size_t j = 0; j < len; j++)
            if (line[j] == '\n') return ac_fail(AC_ERR_INVALID, "{{name}}: a line holds a newline");
        if (i > 0) AC_TRY(ac_buf_byte(out, '\n'));
        AC_TRY(ac_buf_put(out, line, len));
    }
    return acr_finish(&r);
}

AC_EXPORT_CODEC_NOLINKS(decode, encode)
