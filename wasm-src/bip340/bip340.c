/*
 * bip340 - BIP-340 Schnorr signature verification over secp256k1 as an autocodec crypto
 * module (key type secp256k1-pub, 0xe7).
 *
 * Written from BIP-340 ("Schnorr Signatures for secp256k1", latest revision: messages of
 * any length) and FIPS 180-4 (SHA-256, shared with the Bitcoin modules); curve constants from SEC 2, section 2.4.1.
 *
 * Invariants:
 *   - Inputs: a 32-byte x-only public key, a 64-byte signature r || s, a message of any
 *     length.  Any other key or signature length, and a public key that is not the
 *     x coordinate of a curve point (x >= p, or x^3 + 7 not a square), is a malformed
 *     encoding: AC_ERR_INVALID.  Everything else is a verdict: 1 valid, 0 invalid.
 *   - Verification follows BIP-340 exactly: P = lift_x(pk) (even y); fail if r >= p or
 *     s >= n; e = int(tagged_hash("BIP0340/challenge", r || pk || m)) mod n;
 *     R = s*G - e*P; fail if R is infinity, y(R) is odd, or x(R) != r.
 *   - Field elements are always fully reduced (< p) between operations, so equality and
 *     parity are plain limb comparisons.  Verification handles public data only, so it
 *     is not constant time.
 *   - No state outlives a call; every value lives on the stack.
 */
#include "ac.h"
#include "../bitcoin-tx/btc_hash.h"

#define KEY_TYPE_SECP256K1_PUB 0xe7

/* SHA-256 (FIPS 180-4): the Bitcoin modules' own (wasm-src/bitcoin-tx/btc_hash.c, compiled
   into this module through btc_hash.c beside this file). */

static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- 256-bit integers: 8 little-endian 32-bit limbs -------------------------------- */

typedef struct { uint32_t v[8]; } u256;

static void u256_from_be(u256 *r, const uint8_t b[32]) {
    for (int i = 0; i < 8; i++) r->v[i] = be32(b + 4 * (7 - i));
}


/* -1, 0, 1 as a <, ==, > b. */
static int u256_cmp(const u256 *a, const u256 *b) {
    for (int i = 7; i >= 0; i--)
        if (a->v[i] != b->v[i]) return a->v[i] < b->v[i] ? -1 : 1;
    return 0;
}

static bool u256_is_zero(const u256 *a) {
    uint32_t x = 0;
    for (int i = 0; i < 8; i++) x |= a->v[i];
    return x == 0;
}

/* r = a + b mod 2^256; returns the carry. */
static uint32_t u256_add(u256 *r, const u256 *a, const u256 *b) {
    uint64_t c = 0;
    for (int i = 0; i < 8; i++) {
        c += (uint64_t)a->v[i] + b->v[i];
        r->v[i] = (uint32_t)c;
        c >>= 32;
    }
    return (uint32_t)c;
}

/* r = a - b mod 2^256; returns the borrow. */
static uint32_t u256_sub(u256 *r, const u256 *a, const u256 *b) {
    int64_t c = 0;
    for (int i = 0; i < 8; i++) {
        c += (int64_t)a->v[i] - b->v[i];
        r->v[i] = (uint32_t)c;
        c >>= 32; /* arithmetic: 0 or -1 */
    }
    return (uint32_t)(c & 1);
}

static bool u256_bit(const u256 *a, int i) { return (a->v[i >> 5] >> (i & 31)) & 1; }

/* ---- the field GF(p), p = 2^256 - 2^32 - 977 ----------------------------------------- */

static const u256 FP = {{0xFFFFFC2F, 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF,
                         0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}};
/* 2^256 mod p = 2^32 + 977 */
#define FP_FOLD_LO 977u

typedef u256 fe;

static void fe_set_u32(fe *r, uint32_t x) {
    memset(r, 0, sizeof *r);
    r->v[0] = x;
}

/* Reduce a + carry * 2^256 (carry small) to [0, p). */
static void fe_reduce(fe *r, uint64_t carry) {
    while (carry) { /* carry * 2^256 == carry * (2^32 + 977) */
        uint64_t c = (uint64_t)r->v[0] + carry * FP_FOLD_LO;
        r->v[0] = (uint32_t)c;
        c = (c >> 32) + r->v[1] + carry;
        r->v[1] = (uint32_t)c;
        c >>= 32;
        for (int i = 2; i < 8 && c; i++) {
            c += r->v[i];
            r->v[i] = (uint32_t)c;
            c >>= 32;
        }
        carry = c;
    }
    if (u256_cmp(r, &FP) >= 0) u256_sub(r, r, &FP);
}

static void fe_add(fe *r, const fe *a, const fe *b) { fe_reduce(r, u256_add(r, a, b)); }

static void fe_sub(fe *r, const fe *a, const fe *b) {
    if (u256_sub(r, a, b)) u256_add(r, r, &FP); /* wraps back below 2^256 */
}

static void fe_neg(fe *r, const fe *a) {
    fe z;
    fe_set_u32(&z, 0);
    fe_sub(r, &z, a);
}

/* r = t mod p for a 512-bit t: t = lo + hi * 2^256 == lo + hi * 977 + (hi << 32) (mod p). */
static void fe_reduce512(fe *r, const uint32_t t[16]) {
    uint64_t c = 0;
    for (int i = 0; i < 8; i++) {
        c += (uint64_t)t[i] + (uint64_t)t[8 + i] * FP_FOLD_LO + (i ? t[7 + i] : 0);
        r->v[i] = (uint32_t)c;
        c >>= 32;
    }
    fe_reduce(r, c + t[15]);
}

static void fe_mul(fe *r, const fe *a, const fe *b) {
    uint32_t t[16] = {0};
    for (int i = 0; i < 8; i++) {
        uint64_t c = 0;
        for (int j = 0; j < 8; j++) {
            c += (uint64_t)a->v[i] * b->v[j] + t[i + j];
            t[i + j] = (uint32_t)c;
            c >>= 32;
        }
        t[i + 8] = (uint32_t)c;
    }
    fe_reduce512(r, t);
}

/* Squaring: each cross product a[i]*a[j] (i < j) once, doubled, plus the squares. */
static void fe_sqr(fe *r, const fe *a) {
    uint32_t t[16] = {0};
    for (int i = 0; i < 7; i++) {
        uint64_t c = 0;
        for (int j = i + 1; j < 8; j++) {
            c += (uint64_t)a->v[i] * a->v[j] + t[i + j];
            t[i + j] = (uint32_t)c;
            c >>= 32;
        }
        t[i + 8] = (uint32_t)c;
    }
    uint32_t top = 0; /* t <<= 1 (the cross sum is < 2^511, so nothing is lost) */
    for (int k = 0; k < 16; k++) {
        uint32_t next = t[k] >> 31;
        t[k] = (t[k] << 1) | top;
        top = next;
    }
    uint64_t c = 0;
    for (int i = 0; i < 8; i++) {
        uint64_t sq = (uint64_t)a->v[i] * a->v[i];
        c += (uint64_t)t[2 * i] + (uint32_t)sq;
        t[2 * i] = (uint32_t)c;
        c >>= 32;
        c += (uint64_t)t[2 * i + 1] + (sq >> 32);
        t[2 * i + 1] = (uint32_t)c;
        c >>= 32;
    }
    fe_reduce512(r, t);
}

/* r = a^e for a big-endian 256-bit exponent. */
static void fe_pow(fe *r, const fe *a, const u256 *e) {
    fe acc, base = *a;
    fe_set_u32(&acc, 1);
    for (int i = 255; i >= 0; i--) {
        fe_sqr(&acc, &acc);
        if (u256_bit(e, i)) fe_mul(&acc, &acc, &base);
    }
    *r = acc;
}

static void fe_inv(fe *r, const fe *a) { /* Fermat: a^(p-2) */
    u256 e = FP;
    e.v[0] -= 2;
    fe_pow(r, a, &e);
}

/* A square root of a if one exists ((p+1)/4 works because p = 3 mod 4). */
static bool fe_sqrt(fe *r, const fe *a) {
    static const u256 E = {{0xBFFFFF0C, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                            0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0x3FFFFFFF}};
    fe y, y2;
    fe_pow(&y, a, &E);
    fe_sqr(&y2, &y);
    if (u256_cmp(&y2, a) != 0) return false;
    *r = y;
    return true;
}

static bool fe_is_odd(const fe *a) { return a->v[0] & 1; }

/* ---- the group: y^2 = x^3 + 7, Jacobian coordinates (x = X/Z^2, y = Y/Z^3) ----------- */

typedef struct { fe x, y, z; bool inf; bool affine; /* z == 1 */ } gej;

static const u256 GN = {{0xD0364141, 0xBFD25E8C, 0xAF48A03B, 0xBAAEDCE6,
                         0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}};
static const fe GX = {{0x16F81798, 0x59F2815B, 0x2DCE28D9, 0x029BFCDB,
                       0xCE870B07, 0x55A06295, 0xF9DCBBAC, 0x79BE667E}};
static const fe GY = {{0xFB10D4B8, 0x9C47D08F, 0xA6855419, 0xFD17B448,
                       0x0E1108A8, 0x5DA4FBFC, 0x26A3C465, 0x483ADA77}};

static void gej_set_affine(gej *r, const fe *x, const fe *y) {
    r->x = *x;
    r->y = *y;
    fe_set_u32(&r->z, 1);
    r->inf = false;
    r->affine = true;
}

static void gej_double(gej *r, const gej *a) {
    /* a = 0 doubling; secp256k1 has no point of order 2, so Y != 0 for finite points. */
    if (a->inf) { *r = *a; return; }
    fe A, B, C, D, E, F, t, x3, y3, z3;
    fe_sqr(&A, &a->x);
    fe_sqr(&B, &a->y);
    fe_sqr(&C, &B);
    fe_add(&t, &a->x, &B);
    fe_sqr(&t, &t);
    fe_sub(&t, &t, &A);
    fe_sub(&t, &t, &C);
    fe_add(&D, &t, &t);              /* D = 2((X+B)^2 - A - C) */
    fe_add(&E, &A, &A);
    fe_add(&E, &E, &A);              /* E = 3A */
    fe_sqr(&F, &E);
    fe_sub(&x3, &F, &D);
    fe_sub(&x3, &x3, &D);            /* X3 = F - 2D */
    fe_sub(&t, &D, &x3);
    fe_mul(&y3, &E, &t);
    fe_add(&C, &C, &C);
    fe_add(&C, &C, &C);
    fe_add(&C, &C, &C);              /* 8C */
    fe_sub(&y3, &y3, &C);            /* Y3 = E(D - X3) - 8C */
    fe_mul(&z3, &a->y, &a->z);
    fe_add(&z3, &z3, &z3);           /* Z3 = 2YZ */
    r->x = x3; r->y = y3; r->z = z3; r->inf = false; r->affine = false;
}

/* add-2007-bl; when b is affine (Z2 = 1) its Z2 terms drop out (U1 = X1, S1 = Y1,
 * Z3 = 2*Z1*H), the usual mixed addition. */
static void gej_add(gej *r, const gej *a, const gej *b) {
    if (a->inf) { *r = *b; return; }
    if (b->inf) { *r = *a; return; }
    fe z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t, x3, y3, z3;
    fe_sqr(&z1z1, &a->z);
    if (b->affine) {
        u1 = a->x;
        s1 = a->y;
    } else {
        fe_sqr(&z2z2, &b->z);
        fe_mul(&u1, &a->x, &z2z2);
        fe_mul(&s1, &a->y, &b->z);
        fe_mul(&s1, &s1, &z2z2);
    }
    fe_mul(&u2, &b->x, &z1z1);
    fe_mul(&s2, &b->y, &a->z);
    fe_mul(&s2, &s2, &z1z1);
    fe_sub(&h, &u2, &u1);
    fe_sub(&rr, &s2, &s1);
    if (u256_is_zero(&h)) {
        if (u256_is_zero(&rr)) { gej_double(r, a); return; } /* a == b */
        r->inf = true;                                           /* a == -b */
        r->affine = false;
        return;
    }
    fe_add(&i, &h, &h);
    fe_sqr(&i, &i);                  /* I = (2H)^2 */
    fe_mul(&j, &h, &i);              /* J = H*I */
    fe_add(&rr, &rr, &rr);           /* r = 2(S2 - S1) */
    fe_mul(&v, &u1, &i);             /* V = U1*I */
    fe_sqr(&x3, &rr);
    fe_sub(&x3, &x3, &j);
    fe_sub(&x3, &x3, &v);
    fe_sub(&x3, &x3, &v);            /* X3 = r^2 - J - 2V */
    fe_sub(&t, &v, &x3);
    fe_mul(&y3, &rr, &t);
    fe_mul(&t, &s1, &j);
    fe_add(&t, &t, &t);
    fe_sub(&y3, &y3, &t);            /* Y3 = r(V - X3) - 2*S1*J */
    if (b->affine) {
        fe_mul(&z3, &a->z, &h);
        fe_add(&z3, &z3, &z3);       /* Z3 = 2*Z1*H */
    } else {
        fe_add(&z3, &a->z, &b->z);
        fe_sqr(&z3, &z3);
        fe_sub(&z3, &z3, &z1z1);
        fe_sub(&z3, &z3, &z2z2);
        fe_mul(&z3, &z3, &h);        /* Z3 = ((Z1+Z2)^2 - Z1Z1 - Z2Z2) * H */
    }
    r->x = x3; r->y = y3; r->z = z3; r->inf = false; r->affine = false;
}

/* r = a*G + b*Q (Shamir's trick: one shared doubling chain). */
static void gej_double_mul(gej *r, const u256 *a, const u256 *b, const gej *q) {
    gej g, gq, acc;
    gej_set_affine(&g, &GX, &GY);
    gej_add(&gq, &g, q);
    acc.inf = true;
    acc.affine = false;
    for (int i = 255; i >= 0; i--) {
        gej_double(&acc, &acc);
        bool ba = u256_bit(a, i), bb = u256_bit(b, i);
        if (ba && bb) gej_add(&acc, &acc, &gq);
        else if (ba) gej_add(&acc, &acc, &g);
        else if (bb) gej_add(&acc, &acc, q);
    }
    *r = acc;
}

/* The point with x coordinate x and even y, if there is one (BIP-340 lift_x). */
static bool lift_x(fe *y, const fe *x) {
    if (u256_cmp(x, &FP) >= 0) return false;
    fe c, seven;
    fe_sqr(&c, x);
    fe_mul(&c, &c, x);
    fe_set_u32(&seven, 7);
    fe_add(&c, &c, &seven);
    if (!fe_sqrt(y, &c)) return false;
    if (fe_is_odd(y)) fe_neg(y, y);
    return true;
}

static void tagged_hash(const char *tag, const uint8_t *a, size_t an, const uint8_t *b, size_t bn,
                        const uint8_t *c, size_t cn, uint8_t out[32]) {
    uint8_t th[32];
    btc_sha256 s;
    btc_sha256_init(&s);
    btc_sha256_update(&s, (const uint8_t *)tag, ac_strlen(tag));
    btc_sha256_final(&s, th);
    btc_sha256_init(&s);
    btc_sha256_update(&s, th, 32);
    btc_sha256_update(&s, th, 32);
    btc_sha256_update(&s, a, an);
    btc_sha256_update(&s, b, bn);
    btc_sha256_update(&s, c, cn);
    btc_sha256_final(&s, out);
}

/* 1 valid, 0 invalid, or -1 when pk is not a valid x-only public key. */
static int bip340_verify(const uint8_t pk[32], const uint8_t sig[64], const uint8_t *msg, size_t n) {
    fe px, py;
    u256_from_be(&px, pk);
    if (!lift_x(&py, &px)) return -1;
    u256 r, s;
    u256_from_be(&r, sig);
    u256_from_be(&s, sig + 32);
    if (u256_cmp(&r, &FP) >= 0 || u256_cmp(&s, &GN) >= 0) return 0;
    uint8_t eh[32];
    tagged_hash("BIP0340/challenge", sig, 32, pk, 32, msg, n, eh);
    u256 e, neg_e;
    u256_from_be(&e, eh);
    if (u256_cmp(&e, &GN) >= 0) u256_sub(&e, &e, &GN); /* 2^256 < 2n: one subtraction */
    if (u256_is_zero(&e)) neg_e = e;
    else u256_sub(&neg_e, &GN, &e);
    gej p, R;
    gej_set_affine(&p, &px, &py);
    gej_double_mul(&R, &s, &neg_e, &p); /* R = s*G - e*P */
    if (R.inf) return 0;
    fe zi, zi2, zi3, x, y;
    fe_inv(&zi, &R.z);
    fe_sqr(&zi2, &zi);
    fe_mul(&zi3, &zi2, &zi);
    fe_mul(&x, &R.x, &zi2);
    fe_mul(&y, &R.y, &zi3);
    if (fe_is_odd(&y)) return 0;
    return u256_cmp(&x, &r) == 0 ? 1 : 0;
}

/* ---- ABI entry point --------------------------------------------------------------- */

static int verify(const uint8_t *in, size_t n, ac_buf *out) {
    ac_verify_args a;
    AC_TRY(ac_verify_frame(in, n, &a));
    if (a.key_type != KEY_TYPE_SECP256K1_PUB)
        return ac_failf(AC_ERR_UNSUPPORTED, "bip340: key type 0x%x is not secp256k1-pub (0xe7)",
                        a.key_type);
    if (a.pk_len != 32)
        return ac_failf(AC_ERR_INVALID, "bip340: public key must be 32 bytes (x-only), got %zu",
                        a.pk_len);
    if (a.sig_len != 64)
        return ac_failf(AC_ERR_INVALID, "bip340: signature must be 64 bytes, got %zu", a.sig_len);
    int v = bip340_verify(a.pk, a.sig, a.msg, a.msg_len);
    if (v < 0) return ac_fail(AC_ERR_INVALID, "bip340: public key is not an x coordinate on secp256k1");
    return ac_buf_byte(out, (uint8_t)v);
}

AC_EXPORT_CRYPTO(verify)
