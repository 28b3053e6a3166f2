/*
 * eth-block codec module (multicodec 0x90), autocodec ABI v1: Ethereum block headers.
 *
 * Block bytes: the RLP list of a header, in one of the shapes the chain has had
 * (Ethereum yellow paper and EIPs 1559, 4895, 4844/4788, 7685):
 *   15 fields  Frontier .. Berlin     ParentHash .. Nonce
 *   16         London (EIP-1559)      + BaseFee
 *   17         Shanghai (EIP-4895)    + WithdrawalsHash
 *   20         Cancun (EIP-4844/4788) + BlobGasUsed, ExcessBlobGas, ParentBeaconRoot
 *   21         Prague (EIP-7685)      + RequestsHash
 *
 * Data model: the IPLD "dag-eth" Header schema (ipld/ipld specs/codecs/dag-eth/chain.md):
 * ParentCID (&Header, eth-block 0x90), UnclesCID (eth-block-list 0x91), StateRootCID
 * (eth-state-trie 0x96), TxRootCID (eth-tx-trie 0x92), RctRootCID (eth-tx-receipt-trie
 * 0x94), all CIDv1 with a keccak-256 (0x1b) multihash of the 32-byte root.  The fields
 * added after that schema use go-ethereum's names, as the schema's own names do.  There is
 * no multicodec for the withdrawals trie, so WithdrawalsHash is 32 bytes, like
 * ParentBeaconRoot (a beacon-chain SSZ root) and RequestsHash (a sha256, not a trie).
 * Every key is always present; the fields a header's fork does not have are null (the
 * schema's "BaseFee nullable").  Integers are IPLD ints: Difficulty, Number and BaseFee are
 * big integers in Ethereum, and a value over 64 bits is AC_ERR_UNSUPPORTED (DAG-CBOR has
 * no bigger integer); the uint64 fields over 64 bits are AC_ERR_INVALID.
 *
 * Invariants:
 *   - Decoding is strict: canonical RLP only (shortest length forms, a single byte below
 *     0x80 never wrapped, no leading zeros in integers or lengths), fixed-size fields of
 *     exactly their size, a known field count, no nested lists, no trailing bytes.
 *     Hence encode(decode(b)) == b for every accepted b, and decode(encode(v)) == v.
 *   - Encoding accepts only the Header map (absent or null fork fields, nothing else) whose
 *     non-null fork fields form one of the shapes above; links must have the field's codec
 *     and a 32-byte keccak-256 multihash.
 */
#include "ac.h"

#define KECCAK_256 0x1b
#define NFIELDS 21
#define NBASE 15

enum { F_LINK, F_FIXED, F_BYTES, F_U64, F_BIG };

typedef struct {
    const char *name;
    uint8_t kind;
    uint16_t size;  /* F_LINK / F_FIXED: exact byte length */
    uint16_t codec; /* F_LINK: multicodec of the linked block */
} field;

static const field FIELDS[NFIELDS] = {
    {"ParentCID", F_LINK, 32, 0x90},    {"UnclesCID", F_LINK, 32, 0x91},
    {"Coinbase", F_FIXED, 20, 0},       {"StateRootCID", F_LINK, 32, 0x96},
    {"TxRootCID", F_LINK, 32, 0x92},    {"RctRootCID", F_LINK, 32, 0x94},
    {"Bloom", F_FIXED, 256, 0},         {"Difficulty", F_BIG, 0, 0},
    {"Number", F_BIG, 0, 0},            {"GasLimit", F_U64, 0, 0},
    {"GasUsed", F_U64, 0, 0},           {"Time", F_U64, 0, 0},
    {"Extra", F_BYTES, 0, 0},           {"MixDigest", F_FIXED, 32, 0},
    {"Nonce", F_FIXED, 8, 0},           {"BaseFee", F_BIG, 0, 0},
    {"WithdrawalsHash", F_FIXED, 32, 0}, {"BlobGasUsed", F_U64, 0, 0},
    {"ExcessBlobGas", F_U64, 0, 0},     {"ParentBeaconRoot", F_FIXED, 32, 0},
    {"RequestsHash", F_FIXED, 32, 0},
};

/* Field indexes in canonical DAG-CBOR key order (length first, then bytes). */
static const uint8_t KEY_ORDER[NFIELDS] = {11, 6, 12, 14, 8, 15, 10, 2, 9, 13, 0,
                                           4, 1, 7, 5, 17, 20, 3, 18, 16, 19};

static bool known_shape(size_t count) {
    return count == 15 || count == 16 || count == 17 || count == 20 || count == 21;
}

/* ---- strict RLP ----------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p; /* payload */
    size_t n;
    bool list;
} rlp_item;

static int rlp_long_len(const uint8_t **pp, const uint8_t *end, size_t lenlen, size_t *len) {
    const uint8_t *p = *pp;
    if (lenlen > (size_t)(end - p)) return ac_fail(AC_ERR_INVALID, "rlp: truncated length");
    if (p[0] == 0) return ac_fail(AC_ERR_INVALID, "rlp: length with leading zero bytes");
    uint64_t v = 0;
    for (size_t i = 0; i < lenlen; i++) {
        v = v << 8 | p[i];
        if (v > (uint64_t)(end - p)) return ac_fail(AC_ERR_INVALID, "rlp: item longer than the input");
    }
    if (v <= 55) return ac_fail(AC_ERR_INVALID, "rlp: long form used for a length under 56");
    *pp = p + lenlen;
    *len = (size_t)v;
    return AC_OK;
}

/* Read one item at *pp (< end), advancing *pp past it. */
static int rlp_next(const uint8_t **pp, const uint8_t *end, rlp_item *it) {
    const uint8_t *p = *pp;
    if (p >= end) return ac_fail(AC_ERR_INVALID, "rlp: truncated");
    uint8_t b = *p++;
    size_t len;
    it->list = b >= 0xc0;
    if (b < 0x80) {
        it->p = p - 1;
        it->n = 1;
        *pp = p;
        return AC_OK;
    } else if (b <= 0xb7) {
        len = b - 0x80;
        if (len == 1 && p < end && *p < 0x80)
            return ac_fail(AC_ERR_INVALID, "rlp: single byte below 0x80 must not be wrapped");
    } else if (b <= 0xbf) {
        AC_TRY(rlp_long_len(&p, end, b - 0xb7, &len));
    } else if (b <= 0xf7) {
        len = b - 0xc0;
    } else {
        AC_TRY(rlp_long_len(&p, end, b - 0xf7, &len));
    }
    if (len > (size_t)(end - p)) return ac_fail(AC_ERR_INVALID, "rlp: item longer than the input");
    it->p = p;
    it->n = len;
    *pp = p + len;
    return AC_OK;
}

/* Parse and validate a header; items[0..*count) are its fields. */
static int parse_header(const uint8_t *in, size_t n, rlp_item items[NFIELDS], size_t *count) {
    const uint8_t *p = in, *end = in + n;
    rlp_item outer;
    AC_TRY(rlp_next(&p, end, &outer));
    if (!outer.list) return ac_fail(AC_ERR_INVALID, "eth-block: not an RLP list");
    if (p != end) return ac_failf(AC_ERR_INVALID, "eth-block: %zu trailing bytes", (size_t)(end - p));
    const uint8_t *q = outer.p, *qend = outer.p + outer.n;
    size_t c = 0;
    while (q < qend) {
        if (c == NFIELDS) return ac_fail(AC_ERR_INVALID, "eth-block: more than 21 header fields");
        AC_TRY(rlp_next(&q, qend, &items[c]));
        if (items[c].list) return ac_failf(AC_ERR_INVALID, "eth-block: %s is a list", FIELDS[c].name);
        c++;
    }
    if (!known_shape(c))
        return ac_failf(AC_ERR_INVALID, "eth-block: %zu fields is no header shape (15, 16, 17, 20 or 21)", c);
    for (size_t i = 0; i < c; i++) {
        const field *f = &FIELDS[i];
        const rlp_item *it = &items[i];
        switch (f->kind) {
        case F_LINK:
        case F_FIXED:
            if (it->n != f->size)
                return ac_failf(AC_ERR_INVALID, "eth-block: %s has %zu bytes, expected %u", f->name, it->n,
                                (unsigned)f->size);
            break;
        case F_U64:
        case F_BIG:
            if (it->n && it->p[0] == 0)
                return ac_failf(AC_ERR_INVALID, "eth-block: %s has leading zero bytes", f->name);
            if (it->n > 8)
                return ac_failf(f->kind == F_BIG ? AC_ERR_UNSUPPORTED : AC_ERR_INVALID,
                                "eth-block: %s does not fit in 64 bits", f->name);
            break;
        default:
            break;
        }
    }
    *count = c;
    return AC_OK;
}

static uint64_t be_uint(const uint8_t *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* Binary CIDv1 (codec, keccak-256, 32-byte digest) into cid[38]; returns its length. */
static size_t make_cid(uint16_t codec, const uint8_t *digest, uint8_t cid[40]) {
    size_t k = 0;
    cid[k++] = 0x01;
    if (codec >= 0x80) {
        cid[k++] = (uint8_t)(codec | 0x80);
        cid[k++] = (uint8_t)(codec >> 7);
    } else {
        cid[k++] = (uint8_t)codec;
    }
    cid[k++] = KECCAK_256;
    cid[k++] = 32;
    memcpy(cid + k, digest, 32);
    return k + 32;
}

static int write_link(ac_buf *out, uint16_t codec, const uint8_t *digest) {
    uint8_t cid[40];
    return acw_cid(out, cid, make_cid(codec, digest, cid));
}

/* ---- decode / links ---------------------------------------------------------------------- */

static int eth_decode(const uint8_t *in, size_t n, ac_buf *out) {
    rlp_item items[NFIELDS];
    size_t count;
    AC_TRY(parse_header(in, n, items, &count));
    acw_map(out, NFIELDS);
    for (size_t k = 0; k < NFIELDS; k++) {
        size_t i = KEY_ORDER[k];
        const field *f = &FIELDS[i];
        acw_cstr(out, f->name);
        if (i >= count) {
            acw_null(out);
            continue;
        }
        const rlp_item *it = &items[i];
        switch (f->kind) {
        case F_LINK: write_link(out, f->codec, it->p); break;
        case F_U64:
        case F_BIG: acw_uint(out, be_uint(it->p, it->n)); break;
        default: acw_bytes(out, it->p, it->n); break;
        }
    }
    return out->err;
}

static int eth_links(const uint8_t *in, size_t n, ac_buf *out) {
    rlp_item items[NFIELDS];
    size_t count;
    AC_TRY(parse_header(in, n, items, &count));
    acw_array(out, 5);
    for (size_t i = 0; i < NBASE; i++)
        if (FIELDS[i].kind == F_LINK) write_link(out, FIELDS[i].codec, items[i].p);
    return out->err;
}

/* ---- encode --------------------------------------------------------------------------------- */

typedef struct {
    bool present;
    const uint8_t *p; /* bytes fields and link digests */
    size_t n;
    uint64_t u; /* integer fields */
} value;

static int field_index(const char *k, size_t kn) {
    for (int i = 0; i < NFIELDS; i++) {
        const char *name = FIELDS[i].name;
        if (ac_strlen(name) == kn && memcmp(name, k, kn) == 0) return i;
    }
    return -1;
}

/* The digest of a CIDv1 link with the given codec and a 32-byte keccak-256 multihash. */
static int link_digest(const field *f, const uint8_t *cid, size_t n, const uint8_t **digest) {
    const uint8_t *p = cid, *end = cid + n;
    uint64_t version, codec, mh, len;
    if (ac_varint_read(&p, end, &version) || version != 1 || ac_varint_read(&p, end, &codec) ||
        codec != f->codec || ac_varint_read(&p, end, &mh) || mh != KECCAK_256 ||
        ac_varint_read(&p, end, &len) || len != 32 || (size_t)(end - p) != 32)
        return ac_failf(AC_ERR_INVALID, "eth-block: %s must be a CIDv1 with codec 0x%x and a keccak-256 multihash",
                        f->name, (unsigned)f->codec);
    *digest = p;
    return AC_OK;
}

static int read_value(acr *r, const field *f, value *v) {
    if (acr_try_null(r)) return AC_OK;
    v->present = true;
    switch (f->kind) {
    case F_LINK: {
        const uint8_t *cid;
        size_t n;
        AC_TRY(acr_cid(r, &cid, &n));
        v->n = 32;
        return link_digest(f, cid, n, &v->p);
    }
    case F_FIXED:
        AC_TRY(acr_bytes(r, &v->p, &v->n));
        if (v->n != f->size)
            return ac_failf(AC_ERR_INVALID, "eth-block: %s must be %u bytes, got %zu", f->name,
                            (unsigned)f->size, v->n);
        return AC_OK;
    case F_BYTES: return acr_bytes(r, &v->p, &v->n);
    default: return acr_uint(r, &v->u);
    }
}

static size_t uint_len(uint64_t u) {
    size_t n = 0;
    while (u) {
        n++;
        u >>= 8;
    }
    return n;
}

/* Encoded size of an RLP string item with payload [p, p+n). */
static size_t rlp_str_size(const uint8_t *p, size_t n) {
    if (n == 1 && p[0] < 0x80) return 1;
    if (n <= 55) return 1 + n;
    return 1 + uint_len(n) + n;
}

static void rlp_head(ac_buf *out, uint8_t short_base, size_t n) {
    if (n <= 55) {
        ac_buf_byte(out, (uint8_t)(short_base + n));
        return;
    }
    size_t ll = uint_len(n);
    ac_buf_byte(out, (uint8_t)(short_base + 55 + ll));
    for (size_t i = ll; i-- > 0;) ac_buf_byte(out, (uint8_t)(n >> (8 * i)));
}

static void rlp_str(ac_buf *out, const uint8_t *p, size_t n) {
    if (!(n == 1 && p[0] < 0x80)) rlp_head(out, 0x80, n);
    ac_buf_put(out, p, n);
}

static int eth_encode(const uint8_t *in, size_t n, ac_buf *out) {
    value vals[NFIELDS];
    memset(vals, 0, sizeof vals);
    acr r;
    size_t pairs;
    acr_init(&r, in, n);
    AC_TRY(acr_map(&r, &pairs));
    const char *prev = 0;
    size_t prevn = 0;
    for (size_t k = 0; k < pairs; k++) {
        const char *key;
        size_t kn;
        AC_TRY(acr_text(&r, &key, &kn));
        if (prev && ac_key_cmp(prev, prevn, key, kn) >= 0)
            return ac_fail(AC_ERR_INVALID, "eth-block: map keys not in canonical order");
        prev = key;
        prevn = kn;
        int i = field_index(key, kn);
        if (i < 0) return ac_fail(AC_ERR_INVALID, "eth-block: unknown header field");
        AC_TRY(read_value(&r, &FIELDS[i], &vals[i]));
    }
    AC_TRY(acr_finish(&r));

    for (size_t i = 0; i < NBASE; i++)
        if (!vals[i].present) return ac_failf(AC_ERR_INVALID, "eth-block: %s is missing or null", FIELDS[i].name);
    size_t count = NFIELDS;
    while (count > NBASE && !vals[count - 1].present) count--;
    for (size_t i = NBASE; i < count; i++)
        if (!vals[i].present)
            return ac_failf(AC_ERR_INVALID, "eth-block: %s is null but a later fork field is set", FIELDS[i].name);
    if (!known_shape(count))
        return ac_failf(AC_ERR_INVALID, "eth-block: %zu fields is no header shape (15, 16, 17, 20 or 21)", count);

    /* integers as minimal big-endian strings */
    uint8_t ints[NFIELDS][8];
    size_t payload = 0;
    for (size_t i = 0; i < count; i++) {
        value *v = &vals[i];
        if (FIELDS[i].kind == F_U64 || FIELDS[i].kind == F_BIG) {
            v->n = uint_len(v->u);
            for (size_t b = 0; b < v->n; b++) ints[i][b] = (uint8_t)(v->u >> (8 * (v->n - 1 - b)));
            v->p = ints[i];
        }
        payload += rlp_str_size(v->p, v->n);
    }
    AC_TRY(ac_buf_reserve(out, payload + 9));
    rlp_head(out, 0xc0, payload);
    for (size_t i = 0; i < count; i++) rlp_str(out, vals[i].p, vals[i].n);
    return out->err;
}

AC_EXPORT_CODEC(eth_decode, eth_encode, eth_links)
