/* A toy signature scheme (NOT secure; it shows the crypto entry point): 8-byte public keys,
 * 8-byte signatures, valid when sig[i] == pk[i] XOR msg[i] (msg padded with zeros).
 * Wrong key or signature lengths are malformed encodings (AC_ERR_INVALID); a well-formed
 * signature that does not match is status 0 with output 0. */
#include "ac.h"

static int verify(const uint8_t *in, size_t n, ac_buf *out) {
    ac_verify_args a;
    AC_TRY(ac_verify_frame(in, n, &a));
    if (a.pk_len != 8) return ac_failf(AC_ERR_INVALID, "{{name}}: a public key is 8 bytes, not %zu", a.pk_len);
    if (a.sig_len != 8) return ac_failf(AC_ERR_INVALID, "{{name}}: a signature is 8 bytes, not %zu", a.sig_len);
    uint8_t diff = 0;
    for (size_t i = 0; i < 8; i++) {
        uint8_t m = i < a.msg_len ? a.msg[i] : 0;
        diff |= (uint8_t)(a.sig[i] ^ a.pk[i] ^ m);
    }
    return ac_buf_byte(out, diff == 0 ? 1 : 0);
}

AC_EXPORT_CRYPTO(verify)
