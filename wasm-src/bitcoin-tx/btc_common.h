/*
 * Writers shared by the Bitcoin family modules (wasm-src/bitcoin-tx and wasm-src/bitcoin-block,
 * which includes this header from here): links to dbl-sha2-256 blocks and transactions, and a
 * digest shown as Bitcoin shows it. Header-only (static); include after "ac.h".
 */
#ifndef BTC_COMMON_H
#define BTC_COMMON_H

#define DBL_SHA2_256 0x56

static bool all_zero(const uint8_t *p, size_t n) {
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) acc |= p[i];
    return acc == 0;
}

/* A CIDv1 link: 0x01, varint codec (2 bytes for 0xb0/0xb1), 0x56, 0x20, the digest. */
static int write_link(ac_buf *out, uint64_t codec, const uint8_t *digest) {
    uint8_t cid[37] = {0x01, (uint8_t)(codec | 0x80), (uint8_t)(codec >> 7), DBL_SHA2_256, 32};
    memcpy(cid + 5, digest, 32);
    return acw_cid(out, cid, sizeof cid);
}

/* A digest as Bitcoin shows it: hex of the reversed bytes. */
static int write_hash_hex(ac_buf *out, const uint8_t *h) {
    uint8_t rev[32];
    for (int i = 0; i < 32; i++) rev[i] = h[31 - i];
    acw_head(out, 3, 64);
    return ac_buf_hex(out, rev, 32);
}

#endif
