/*
 * keccak-256 hasher module (multihash 0x1b), autocodec ABI v1.
 *
 * Keccak[r=1088, c=512] with the original Keccak padding (pad10*1 with domain byte 0x01),
 * as used by Ethereum; NOT FIPS 202 SHA3-256 (domain byte 0x06).  The sponge, its one-shot,
 * batch and stream exports are include/keccak_hasher.h (shared with keccak-512); the
 * permutation is include/keccak_f1600.h (shared with the Ethereum modules).
 */
#include "ac.h"

#define KECCAK_DIGEST 32
#define KECCAK_NAME "keccak-256"

#include "keccak_hasher.h"
