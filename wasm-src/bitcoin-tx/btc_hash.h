/*
 * Hashes of the Bitcoin family modules: SHA-256 (FIPS 180-4), its double (Bitcoin's dbl-sha2-256)
 * and RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996) for HASH160 = RIPEMD-160(SHA-256(x)).
 * Shared by wasm-src/bitcoin-tx and wasm-src/bitcoin-block (which includes btc_hash.c).
 * Invariants: no allocation, no state beyond the caller's context struct.
 */
#ifndef BTC_HASH_H
#define BTC_HASH_H
#include <stdint.h>
#include <stddef.h>

typedef struct {
    uint32_t h[8];
    uint8_t buf[64];
    uint64_t len;
} btc_sha256;

void btc_sha256_init(btc_sha256 *c);
void btc_sha256_update(btc_sha256 *c, const uint8_t *p, size_t n);
void btc_sha256_final(btc_sha256 *c, uint8_t out[32]);
/* out = SHA-256(SHA-256(p[0..n))) */
void btc_dbl_sha256(const uint8_t *p, size_t n, uint8_t out[32]);
/* out = RIPEMD-160(SHA-256(p[0..n))) */
void btc_hash160(const uint8_t *p, size_t n, uint8_t out[20]);

#endif
