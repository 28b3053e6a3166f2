/*
 * bitcoin-block codec module (multicodec 0xb0), autocodec ABI v1: the 80-byte header.
 *
 * Block bytes (Bitcoin Core, CBlockHeader): int32 version, 32-byte previous block hash,
 * 32-byte merkle root, uint32 time, uint32 bits, uint32 nonce, all little endian.
 * The block's CID is CIDv1(bitcoin-block, dbl-sha2-256 (0x56) of these 80 bytes); the
 * hashes in the header are in that same internal byte order (the reverse of the hex
 * usually shown), so each is a CID digest as is.
 *
 * Data model: the IPLD Bitcoin Header schema (ipld/specs block-layer/codecs/bitcoin.md):
 *   {"version": Int, "parent": &Header | null, "tx": &TransactionMerkle,
 *    "time": Int, "bits": Int, "nonce": Int}
 * parent is a bitcoin-block (0xb0) link, tx a bitcoin-tx (0xb1) link to the merkle root,
 * both dbl-sha2-256.  The genesis block has no parent: its all-zero previous hash is null.
 * The schema's previousblockhash / merkleroot Bytes copies are left out: they are the
 * links' digests, and one source of truth keeps encode from receiving two that disagree.
 *
 * Invariants: decode accepts exactly 80 bytes; encode accepts exactly the six keys, a
 * version that fits int32, uint32 time/bits/nonce, links with the right codec and a
 * 32-byte dbl-sha2-256 digest (an all-zero parent digest must be written as null), so
 * encode(decode(b)) == b and decode(encode(v)) == v.
 */
#include "ac.h"

#define HEADER_LEN 80
#define DBL_SHA2_256 0x56
#define BITCOIN_BLOCK 0xb0
#define BITCOIN_TX 0xb1

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

static int write_link(ac_buf *out, uint64_t codec, const uint8_t *digest) {
    /* 0x01, varint codec (2 bytes for 0xb0/0xb1), 0x56, 0x20, digest */
    uint8_t cid[37] = {0x01, (uint8_t)(codec | 0x80), (uint8_t)(codec >> 7), DBL_SHA2_256, 32};
    memcpy(cid + 5, digest, 32);
    return acw_cid(out, cid, sizeof cid);
}

static int check_len(size_t n) {
    if (n != HEADER_LEN)
        return ac_failf(AC_ERR_INVALID, "bitcoin-block: a header is 80 bytes, got %zu", n);
    return AC_OK;
}

static int btc_decode(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(check_len(n));
    /* keys in canonical order: tx, bits, time, nonce, parent, version */
    acw_map(out, 6);
    acw_cstr(out, "tx");
    write_link(out, BITCOIN_TX, in + 36);
    acw_cstr(out, "bits");
    acw_uint(out, ac_le32(in + 72));
    acw_cstr(out, "time");
    acw_uint(out, ac_le32(in + 68));
    acw_cstr(out, "nonce");
    acw_uint(out, ac_le32(in + 76));
    acw_cstr(out, "parent");
    if (all_zero(in + 4, 32)) acw_null(out);
    else write_link(out, BITCOIN_BLOCK, in + 4);
    acw_cstr(out, "version");
    acw_int(out, (int32_t)ac_le32(in));
    return out->err;
}

static int btc_links(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(check_len(n));
    bool genesis = all_zero(in + 4, 32);
    acw_array(out, genesis ? 1 : 2);
    if (!genesis) write_link(out, BITCOIN_BLOCK, in + 4);
    write_link(out, BITCOIN_TX, in + 36);
    return out->err;
}

static int read_link(acr *r, uint64_t want, const char *name, uint8_t digest[32]) {
    const uint8_t *cid, *p, *end;
    size_t n;
    uint64_t version, codec, mh, len;
    AC_TRY(acr_cid(r, &cid, &n));
    p = cid;
    end = cid + n;
    if (ac_varint_read(&p, end, &version) || version != 1 || ac_varint_read(&p, end, &codec) ||
        codec != want || ac_varint_read(&p, end, &mh) || mh != DBL_SHA2_256 ||
        ac_varint_read(&p, end, &len) || len != 32 || (size_t)(end - p) != 32)
        return ac_failf(AC_ERR_INVALID, "bitcoin-block: %s must be a CIDv1 with codec 0x%x and a dbl-sha2-256 multihash",
                        name, (unsigned)want);
    memcpy(digest, p, 32);
    return AC_OK;
}

static int read_u32(acr *r, const char *name, uint32_t *v) {
    uint64_t u;
    AC_TRY(acr_uint(r, &u));
    if (u > 0xffffffffu) return ac_failf(AC_ERR_INVALID, "bitcoin-block: %s does not fit in 32 bits", name);
    *v = (uint32_t)u;
    return AC_OK;
}

static int expect_key(acr *r, const char *want) {
    const char *k;
    size_t kn;
    AC_TRY(acr_text(r, &k, &kn));
    if (kn != ac_strlen(want) || memcmp(k, want, kn) != 0)
        return ac_failf(AC_ERR_INVALID, "bitcoin-block: expected key \"%s\" (keys: tx, bits, time, nonce, parent, version)",
                        want);
    return AC_OK;
}

static int btc_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t pairs;
    uint8_t parent[32], tx[32];
    uint32_t bits, time, nonce;
    int64_t version;
    acr_init(&r, in, n);
    AC_TRY(acr_map(&r, &pairs));
    if (pairs != 6) return ac_failf(AC_ERR_INVALID, "bitcoin-block: expected 6 keys, got %zu", pairs);
    /* a strict DAG-CBOR map has its keys in canonical order, so they come in this order */
    AC_TRY(expect_key(&r, "tx"));
    AC_TRY(read_link(&r, BITCOIN_TX, "tx", tx));
    AC_TRY(expect_key(&r, "bits"));
    AC_TRY(read_u32(&r, "bits", &bits));
    AC_TRY(expect_key(&r, "time"));
    AC_TRY(read_u32(&r, "time", &time));
    AC_TRY(expect_key(&r, "nonce"));
    AC_TRY(read_u32(&r, "nonce", &nonce));
    AC_TRY(expect_key(&r, "parent"));
    if (acr_try_null(&r)) {
        memset(parent, 0, 32);
    } else {
        AC_TRY(read_link(&r, BITCOIN_BLOCK, "parent", parent));
        if (all_zero(parent, 32))
            return ac_fail(AC_ERR_INVALID, "bitcoin-block: an all-zero parent digest is written as null");
    }
    AC_TRY(expect_key(&r, "version"));
    AC_TRY(acr_int(&r, &version));
    if (version < INT32_MIN || version > INT32_MAX)
        return ac_fail(AC_ERR_INVALID, "bitcoin-block: version does not fit in int32");
    AC_TRY(acr_finish(&r));

    uint8_t *h = ac_buf_extend(out, HEADER_LEN);
    if (!h) return out->err;
    ac_put_le32(h, (uint32_t)(int32_t)version);
    memcpy(h + 4, parent, 32);
    memcpy(h + 36, tx, 32);
    ac_put_le32(h + 68, time);
    ac_put_le32(h + 72, bits);
    ac_put_le32(h + 76, nonce);
    return AC_OK;
}

AC_EXPORT_CODEC(btc_decode, btc_encode, btc_links)
