/*
 * keccak-512 hasher module (multihash 0x1d), autocodec ABI v1.
 *
 * Keccak[r=576, c=1024] with the original Keccak padding (pad10*1 with domain byte 0x01),
 * the Keccak submission's 512-bit output (as go-multihash's keccak-512, x/crypto's
 * NewLegacyKeccak512); NOT FIPS 202 SHA3-512 (domain byte 0x06).  The sponge, its one-shot,
 * batch and stream exports are include/keccak_hasher.h (shared with keccak-256).
 */
#include "ac.h"

#define KECCAK_DIGEST 64
#define KECCAK_NAME "keccak-512"

#include "keccak_hasher.h"
