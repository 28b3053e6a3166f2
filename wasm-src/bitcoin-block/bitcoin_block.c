/*
 * bitcoin-block codec module (multicodec 0xb0), autocodec ABI v1: the 80-byte block header.
 *
 * Block bytes (Bitcoin Core, CBlockHeader): int32 version, 32-byte previous block hash,
 * 32-byte merkle root, uint32 time, uint32 bits, uint32 nonce, all little endian.  The block's
 * CID is CIDv1(bitcoin-block, dbl-sha2-256 of these 80 bytes): the block hash in its internal
 * byte order (the reverse of the hex block explorers show).
 *
 * Data model: the IPLD Bitcoin spec's Header (ipld/specs block-layer/codecs/bitcoin.md) as its
 * running reference @ipld/bitcoin (github.com/ipld/js-bitcoin, src/bitcoin-block.js) decodes it:
 * the header porcelain of Bitcoin Core's RPC plus the two links (bitcoin-block.ipldsch):
 *   {hash, version, versionHex, merkleroot, time, nonce, bits (hex String), difficulty,
 *    previousblockhash (absent for an all-zero previous hash),
 *    parent &bitcoin-block | null, tx &bitcoin-tx (the merkle root)}
 * hash/merkleroot/previousblockhash are the big-endian hex Bitcoin shows; difficulty is
 * GetDifficulty() of bits in binary64 arithmetic (an Int when integral, as @ipld/dag-cbor writes
 * a JS number).  A header whose bits has a zero mantissa has an infinite difficulty, which the
 * data model cannot hold: decode refuses it (no mined header has one).
 *
 * Invariants: decode accepts exactly 80 bytes (otherwise AC_ERR_INVALID); encode rebuilds the
 * 80 bytes from version, previousblockhash, merkleroot, time, bits, nonce and accepts the value
 * only if it is exactly the decode of those bytes, so encode(decode(b)) == b and
 * decode(encode(v)) == v.
 */
#include "ac.h"
#include "../bitcoin-tx/btc_hash.h"
#include "../bitcoin-tx/btc_common.h"

#define HEADER_LEN 80
#define BITCOIN_BLOCK 0xb0
#define BITCOIN_TX 0xb1

static int check_len(size_t n) {
    if (n != HEADER_LEN)
        return ac_failf(AC_ERR_INVALID, "bitcoin-block: a header is 80 bytes, got %zu", n);
    return AC_OK;
}

/* Bitcoin Core's GetDifficulty(bits) in binary64, as bitcoin-block computes it. */
static double difficulty(uint32_t bits) {
    int shift = (int)((bits >> 24) & 0xff);
    double d = 65535.0 / (double)(bits & 0x00ffffff);
    while (shift < 29) { d *= 256.0; shift++; }
    while (shift > 29) { d /= 256.0; shift--; }
    return d;
}

static int btc_decode(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(check_len(n));
    uint32_t bits = ac_le32(in + 72);
    if ((bits & 0x00ffffff) == 0)
        return ac_fail(AC_ERR_INVALID, "bitcoin-block: bits has a zero mantissa (infinite difficulty, not representable)");
    uint8_t hash[32];
    btc_dbl_sha256(in, n, hash);
    bool genesis = all_zero(in + 4, 32);
    char hexbuf[8];
    size_t hl = 0;
    {   /* bits as JavaScript's Number.toString(16): lowercase, no leading zeros */
        static const char D[] = "0123456789abcdef";
        int i = 28;
        while (i > 0 && ((bits >> i) & 0xf) == 0) i -= 4;
        for (; i >= 0; i -= 4) hexbuf[hl++] = D[(bits >> i) & 0xf];
    }
    uint8_t vbe[4] = {in[3], in[2], in[1], in[0]};
    double diff = difficulty(bits);
    /* keys in canonical order */
    acw_map(out, genesis ? 10 : 11);
    acw_cstr(out, "tx");
    write_link(out, BITCOIN_TX, in + 36);
    acw_cstr(out, "bits");
    acw_text(out, hexbuf, hl);
    acw_cstr(out, "hash");
    write_hash_hex(out, hash);
    acw_cstr(out, "time");
    acw_uint(out, ac_le32(in + 68));
    acw_cstr(out, "nonce");
    acw_uint(out, ac_le32(in + 76));
    acw_cstr(out, "parent");
    if (genesis) acw_null(out);
    else write_link(out, BITCOIN_BLOCK, in + 4);
    acw_cstr(out, "version");
    acw_int(out, (int32_t)ac_le32(in));
    acw_cstr(out, "difficulty");
    /* range first: converting a double beyond int64 would trap */
    if (diff <= 9007199254740991.0 && diff == (double)(int64_t)diff) acw_int(out, (int64_t)diff);
    else acw_float64(out, diff);
    acw_cstr(out, "merkleroot");
    write_hash_hex(out, in + 36);
    acw_cstr(out, "versionHex");
    acw_head(out, 3, 8);
    ac_buf_hex(out, vbe, 4);
    if (!genesis) {
        acw_cstr(out, "previousblockhash");
        write_hash_hex(out, in + 4);
    }
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

static int find(acr *r, const char *key, acr *val) {
    bool found;
    AC_TRY(acr_find(r, key, val, &found));
    if (!found) return ac_failf(AC_ERR_INVALID, "bitcoin-block: the header has no \"%s\"", key);
    return AC_OK;
}

static int read_u32(acr *r, const char *key, uint32_t *v) {
    acr val;
    uint64_t u;
    AC_TRY(find(r, key, &val));
    AC_TRY(acr_uint(&val, &u));
    if (u > 0xffffffffu) return ac_failf(AC_ERR_INVALID, "bitcoin-block: %s does not fit in 32 bits", key);
    *v = (uint32_t)u;
    return AC_OK;
}

/* A 64-digit big-endian hash string into internal (little-endian) byte order. */
static int read_hash(acr *val, const char *key, uint8_t out[32]) {
    const char *s;
    size_t n;
    uint8_t be[32];
    AC_TRY(acr_text(val, &s, &n));
    if (n != 64 || ac_hex_decode(s, 64, be))
        return ac_failf(AC_ERR_INVALID, "bitcoin-block: %s must be 64 hex digits", key);
    for (int i = 0; i < 32; i++) out[i] = be[31 - i];
    return AC_OK;
}

static int btc_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r, val;
    bool found;
    uint8_t h[HEADER_LEN];
    uint32_t time, nonce, bits = 0;
    int64_t version;
    acr_init(&r, in, n);
    if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "bitcoin-block: a header is a map");
    AC_TRY(find(&r, "version", &val));
    AC_TRY(acr_int(&val, &version));
    if (version < INT32_MIN || version > INT32_MAX)
        return ac_fail(AC_ERR_INVALID, "bitcoin-block: version does not fit in int32");
    memset(h, 0, sizeof h);
    AC_TRY(acr_find(&r, "previousblockhash", &val, &found));
    if (found) AC_TRY(read_hash(&val, "previousblockhash", h + 4));
    AC_TRY(find(&r, "merkleroot", &val));
    AC_TRY(read_hash(&val, "merkleroot", h + 36));
    AC_TRY(read_u32(&r, "time", &time));
    AC_TRY(read_u32(&r, "nonce", &nonce));
    AC_TRY(find(&r, "bits", &val));
    {
        const char *s;
        size_t sn;
        AC_TRY(acr_text(&val, &s, &sn));
        if (sn < 1 || sn > 8) return ac_fail(AC_ERR_INVALID, "bitcoin-block: bits must be 1 to 8 hex digits");
        for (size_t i = 0; i < sn; i++) {
            char c = s[i];
            unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
            if (d == 16) return ac_fail(AC_ERR_INVALID, "bitcoin-block: bits must be lowercase hex digits");
            bits = bits << 4 | d;
        }
    }
    ac_put_le32(h, (uint32_t)(int32_t)version);
    ac_put_le32(h + 68, time);
    ac_put_le32(h + 72, bits);
    ac_put_le32(h + 76, nonce);
    ac_buf check;
    ac_buf_init(&check);
    AC_TRY(btc_decode(h, HEADER_LEN, &check));
    if (check.len != n || memcmp(check.data, in, n) != 0)
        return ac_fail(AC_ERR_INVALID,
                       "bitcoin-block: the value is not the data model of a header (derived fields disagree)");
    return ac_buf_put(out, h, HEADER_LEN);
}

AC_EXPORT_CODEC(btc_decode, btc_encode, btc_links)
