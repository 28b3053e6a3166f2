/*
 * keccak_f1600.h - the Keccak-f[1600] permutation, shared by the keccak-256 hasher and the
 * Ethereum modules' trie roots (eth-common/rlp.h).
 *
 * Written from the Keccak reference specification (keccak.team, "The Keccak reference",
 * v3.0): the round constants and rotation offsets below are the specification's.  Lanes are
 * 64-bit little endian (wasm32 is little endian, so a lane is a plain load).
 *
 * Include once per module; it defines only static functions and constants (the KF_ macros
 * are its own and undefined at the end).
 */
#ifndef AC_KECCAK_F1600_H
#define AC_KECCAK_F1600_H

#include <stdint.h>

static const uint64_t KF_RC[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t kf_rotl(uint64_t v, unsigned n) {
    return n ? (v << n) | (v >> (64 - n)) : v;
}

/* The permutation works on 25 local lanes (wasm locals, not memory): each round is theta,
 * rho and pi fused (lane x+5y moves to lane y+5((2x+3y) mod 5), rotated by the
 * specification's offset r[x][y]), then chi and iota. */
#define KF_LANES(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) \
    X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)
#define KF_DECL(i) uint64_t a##i = s[i], b##i;
#define KF_STORE(i) s[i] = a##i;
#define KF_RP(dst, src, r) b##dst = kf_rotl(a##src ^ d##src##_, r);
#define KF_CHI(y0, y1, y2, y3, y4)                                                            \
    a##y0 = b##y0 ^ (~b##y1 & b##y2);                                                      \
    a##y1 = b##y1 ^ (~b##y2 & b##y3);                                                      \
    a##y2 = b##y2 ^ (~b##y3 & b##y4);                                                      \
    a##y3 = b##y3 ^ (~b##y4 & b##y0);                                                      \
    a##y4 = b##y4 ^ (~b##y0 & b##y1);

static void keccak_f1600(uint64_t s[25]) {
    KF_LANES(KF_DECL)
    for (int round = 0; round < 24; round++) {
        uint64_t c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20, c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21,
                 c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22, c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23,
                 c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24;
        uint64_t d0 = c4 ^ kf_rotl(c1, 1), d1 = c0 ^ kf_rotl(c2, 1), d2 = c1 ^ kf_rotl(c3, 1),
                 d3 = c2 ^ kf_rotl(c4, 1), d4 = c3 ^ kf_rotl(c0, 1);
        /* d<lane>_ is the theta column term of a source lane: d[x] for lane x + 5y */
        uint64_t d0_ = d0, d1_ = d1, d2_ = d2, d3_ = d3, d4_ = d4, d5_ = d0, d6_ = d1, d7_ = d2,
                 d8_ = d3, d9_ = d4, d10_ = d0, d11_ = d1, d12_ = d2, d13_ = d3, d14_ = d4,
                 d15_ = d0, d16_ = d1, d17_ = d2, d18_ = d3, d19_ = d4, d20_ = d0, d21_ = d1,
                 d22_ = d2, d23_ = d3, d24_ = d4;
        KF_RP(0, 0, 0)   KF_RP(10, 1, 1)  KF_RP(20, 2, 62) KF_RP(5, 3, 28)  KF_RP(15, 4, 27)
        KF_RP(16, 5, 36) KF_RP(1, 6, 44)  KF_RP(11, 7, 6)  KF_RP(21, 8, 55) KF_RP(6, 9, 20)
        KF_RP(7, 10, 3)  KF_RP(17, 11, 10) KF_RP(2, 12, 43) KF_RP(12, 13, 25) KF_RP(22, 14, 39)
        KF_RP(23, 15, 41) KF_RP(8, 16, 45) KF_RP(18, 17, 15) KF_RP(3, 18, 21) KF_RP(13, 19, 8)
        KF_RP(14, 20, 18) KF_RP(24, 21, 2) KF_RP(9, 22, 61) KF_RP(19, 23, 56) KF_RP(4, 24, 14)
        KF_CHI(0, 1, 2, 3, 4) KF_CHI(5, 6, 7, 8, 9) KF_CHI(10, 11, 12, 13, 14) KF_CHI(15, 16, 17, 18, 19)
        KF_CHI(20, 21, 22, 23, 24)
        a0 ^= KF_RC[round];
    }
    KF_LANES(KF_STORE)
}

#undef KF_LANES
#undef KF_DECL
#undef KF_STORE
#undef KF_RP
#undef KF_CHI

#endif
