/*
 * bitcoin-witness-commitment codec module (multicodec 0xb2), autocodec ABI v1.
 *
 * A witness commitment block is 64 bytes: the root of a segwit block's witness merkle tree (32,
 * internal byte order) followed by the witness nonce (32, the coinbase input's only witness item).
 * dbl-sha2-256 of the 64 bytes is the commitment the coinbase carries in an output script
 * 6a24aa21a9ed<commitment> (BIP 141), so a coinbase's witnessCommitment link resolves here.
 *
 * Data model: as @ipld/bitcoin (github.com/ipld/js-bitcoin, src/bitcoin-witness-commitment.js):
 *   {witnessMerkleRoot: &bitcoin-tx | null, nonce: Bytes}
 * witnessMerkleRoot is null when the root is all zeros (a block whose only transaction is the
 * coinbase: the coinbase's slot of the witness tree is zero).  See bitcoin-witness-commitment.ipldsch.
 *
 * Invariants: decode accepts exactly 64 bytes; encode accepts exactly the two keys, a 32-byte
 * nonce and a bitcoin-tx dbl-sha2-256 link with a non-zero digest or null (the reference also
 * takes shorter nonces and pads them; refusing them keeps encode the inverse of decode).
 */
#include "ac.h"

#define DBL_SHA2_256 0x56
#define BITCOIN_TX 0xb1

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

static int check_len(size_t n) {
    if (n != 64)
        return ac_failf(AC_ERR_INVALID, "bitcoin-witness-commitment: a commitment block is 64 bytes, got %zu", n);
    return AC_OK;
}

static int write_root(ac_buf *out, const uint8_t *in) {
    uint8_t cid[37] = {0x01, 0xb1, 0x01, DBL_SHA2_256, 32};
    memcpy(cid + 5, in, 32);
    return acw_cid(out, cid, sizeof cid);
}

static int wc_decode(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(check_len(n));
    acw_map(out, 2);
    acw_cstr(out, "nonce");
    acw_bytes(out, in + 32, 32);
    acw_cstr(out, "witnessMerkleRoot");
    if (all_zero(in, 32)) acw_null(out);
    else write_root(out, in);
    return out->err;
}

static int wc_links(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(check_len(n));
    if (all_zero(in, 32)) return acw_array(out, 0);
    acw_array(out, 1);
    return write_root(out, in);
}

static int expect_key(acr *r, const char *want) {
    const char *k;
    size_t kn;
    AC_TRY(acr_text(r, &k, &kn));
    if (kn != ac_strlen(want) || memcmp(k, want, kn) != 0)
        return ac_failf(AC_ERR_INVALID, "bitcoin-witness-commitment: expected key \"%s\" (keys: nonce, witnessMerkleRoot)", want);
    return AC_OK;
}

static int wc_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t pairs, nn, cn;
    const uint8_t *nonce, *cid;
    uint8_t *o;
    acr_init(&r, in, n);
    AC_TRY(acr_map(&r, &pairs));
    if (pairs != 2) return ac_fail(AC_ERR_INVALID, "bitcoin-witness-commitment: expected the keys nonce, witnessMerkleRoot");
    AC_TRY(expect_key(&r, "nonce"));
    AC_TRY(acr_bytes(&r, &nonce, &nn));
    if (nn != 32) return ac_fail(AC_ERR_INVALID, "bitcoin-witness-commitment: nonce must be 32 bytes");
    AC_TRY(expect_key(&r, "witnessMerkleRoot"));
    o = ac_buf_extend(out, 64);
    if (!o) return out->err;
    memset(o, 0, 32);
    if (!acr_try_null(&r)) {
        AC_TRY(acr_cid(&r, &cid, &cn));
        if (cn != 37 || cid[0] != 0x01 || cid[1] != 0xb1 || cid[2] != 0x01 || cid[3] != DBL_SHA2_256 || cid[4] != 32)
            return ac_fail(AC_ERR_INVALID,
                           "bitcoin-witness-commitment: witnessMerkleRoot must be a bitcoin-tx CIDv1 with a dbl-sha2-256 digest");
        if (all_zero(cid + 5, 32))
            return ac_fail(AC_ERR_INVALID, "bitcoin-witness-commitment: an all-zero witnessMerkleRoot is written as null");
        memcpy(o, cid + 5, 32);
    }
    AC_TRY(acr_finish(&r));
    memcpy(o + 32, nonce, 32);
    return AC_OK;
}

AC_EXPORT_CODEC(wc_decode, wc_encode, wc_links)
