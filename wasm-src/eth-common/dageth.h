/*
 * The Ethereum IPLD codecs (multicodecs 0x90-0x9a) as go-codec-dageth v0.1.0 (the Go reference
 * of the IPLD dag-eth specs, ipld/ipld specs/codecs/dag-eth) decodes them into a generic node,
 * plus the later fork fields the reference cannot read, written the way it writes its own.
 * Each module's .c defines DAGETH_CODEC and includes this file once; the data model of each
 * codec is written down in wasm-src/<module>/<module>.ipldsch.
 *
 * The reference's kinds, which this file follows exactly:
 *   - Link    CIDv1, keccak-256 multihash of a 32-byte Ethereum hash, codec of the target
 *   - Uint    a uint64 as 8 big-endian bytes (always 8: GasLimit, Time, nonces, Status ...)
 *   - BigInt  a big integer as its minimal big-endian bytes (zero is empty bytes)
 *   - Bytes   fixed-size values (addresses, hashes, bloom) and opaque data as they are
 *   - null    for the reference's nullable fields that a value does not have
 *
 * Invariants:
 *   - Decoding is strict (canonical RLP, integers without leading zeros, fixed sizes exact, no
 *     trailing bytes), and encoding accepts exactly the data model decoding produces (every
 *     key the reference writes, no other, canonical DAG-CBOR key order, Uints of 8 bytes,
 *     BigInts minimal): decode is injective and encode(decode(b)) == b.
 *   - Every malformed input ends in AC_ERR_INVALID with a message, never a trap.
 */
#ifndef ETH_DAGETH_H
#define ETH_DAGETH_H
#include "rlp.h"

/* ---- the data model writer: map entries sorted into canonical key order ---------------- */

enum { V_NULL, V_BYTES, V_UINT8, V_LINK, V_SUB };

typedef int (*sub_fn)(ac_buf *out, const rlp_item *it);

typedef struct {
    const char *k;
    size_t kn;          /* strlen(k), filled by write_ents */
    uint8_t kind;
    uint16_t codec;     /* V_LINK */
    const uint8_t *p;   /* V_BYTES: bytes; V_UINT8: minimal big-endian payload; V_LINK: digest */
    size_t n;
    sub_fn sub;         /* V_SUB: writes the value of `it` */
    const rlp_item *it;
} ent;

static int write_link(ac_buf *out, uint16_t codec, const uint8_t *digest) {
    uint8_t cid[4 + 32];
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
    return acw_cid(out, cid, k + 32);
}

static int write_uint8(ac_buf *out, const uint8_t *p, size_t n) {
    uint8_t b[8] = {0};
    memcpy(b + 8 - n, p, n);
    return acw_bytes(out, b, 8);
}

/* Write the entries as a map, sorted here into canonical key order (shorter keys first,
 * then bytewise: an insertion sort on at most ~20 entries). */
static int write_ents(ac_buf *out, ent *e, size_t n) {
    for (size_t i = 0; i < n; i++) e[i].kn = ac_strlen(e[i].k);
    for (size_t i = 1; i < n; i++) {
        ent t = e[i];
        size_t j = i;
        while (j > 0 && (e[j - 1].kn > t.kn || (e[j - 1].kn == t.kn && memcmp(e[j - 1].k, t.k, t.kn) > 0))) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = t;
    }
    acw_map(out, n);
    for (size_t i = 0; i < n; i++) {
        if (i && e[i - 1].kn == e[i].kn && memcmp(e[i - 1].k, e[i].k, e[i].kn) == 0)
            return ac_fail(AC_ERR_INTERNAL, "duplicate map key");
        acw_head(out, 3, e[i].kn); /* keys are ASCII constants: no UTF-8 check needed */
        ac_buf_put(out, e[i].k, e[i].kn);
        switch (e[i].kind) {
        case V_NULL: acw_null(out); break;
        case V_BYTES: acw_bytes(out, e[i].p, e[i].n); break;
        case V_UINT8: write_uint8(out, e[i].p, e[i].n); break;
        case V_LINK: write_link(out, e[i].codec, e[i].p); break;
        default: AC_TRY(e[i].sub(out, e[i].it)); break;
        }
    }
    return out->err;
}

/* ---- the data model reader: a map's entries, each used at most once ------------------- */

#define KV_MAX 24

typedef struct {
    const char *k;
    size_t kn;
    acr v;
    bool used;
} kv_in;

typedef struct {
    kv_in e[KV_MAX];
    size_t n;
    const char *what;
} kv_map;

static int read_map(acr *r, kv_map *m, const char *what) {
    size_t pairs;
    m->what = what;
    m->n = 0;
    if (acr_peek(r) != ACR_MAP) return ac_failf(AC_ERR_INVALID, "%s: expected a map", what);
    AC_TRY(acr_map(r, &pairs));
    if (pairs > KV_MAX) return ac_failf(AC_ERR_INVALID, "%s: %zu keys is too many", what, pairs);
    for (size_t i = 0; i < pairs; i++) {
        kv_in *e = &m->e[i];
        AC_TRY(acr_text(r, &e->k, &e->kn));
        if (i && ac_key_cmp(m->e[i - 1].k, m->e[i - 1].kn, e->k, e->kn) >= 0)
            return ac_failf(AC_ERR_INVALID, "%s: map keys not in canonical order", what);
        e->v = *r;
        e->used = false;
        AC_TRY(acr_skip(r));
        e->v.end = r->p;
    }
    m->n = pairs;
    return AC_OK;
}

static acr *kv_get(kv_map *m, const char *k) {
    size_t kn = ac_strlen(k);
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].kn == kn && memcmp(m->e[i].k, k, kn) == 0) {
            m->e[i].used = true;
            return &m->e[i].v;
        }
    return 0;
}

static int kv_need(kv_map *m, const char *k, acr **v) {
    *v = kv_get(m, k);
    if (!*v) return ac_failf(AC_ERR_INVALID, "%s: missing key %s", m->what, k);
    return AC_OK;
}

static int kv_all_used(kv_map *m) {
    for (size_t i = 0; i < m->n; i++)
        if (!m->e[i].used)
            return ac_failf(AC_ERR_INVALID, "%s: unexpected key %.*s", m->what, (int)(m->e[i].kn > 40 ? 40 : m->e[i].kn),
                            m->e[i].k);
    return AC_OK;
}

static int in_bytes(acr *v, const uint8_t **p, size_t *n, const char *what) {
    if (acr_peek(v) != ACR_BYTES) return ac_failf(AC_ERR_INVALID, "%s: expected bytes", what);
    AC_TRY(acr_bytes(v, p, n));
    return acr_finish(v);
}

static int in_fixed(acr *v, size_t size, const uint8_t **p, const char *what) {
    size_t n;
    AC_TRY(in_bytes(v, p, &n, what));
    if (n != size) return ac_failf(AC_ERR_INVALID, "%s: %zu bytes, expected %zu", what, n, size);
    return AC_OK;
}

/* A Uint: exactly 8 bytes; (*p, *n) become its minimal big-endian form. */
static int in_uint8(acr *v, const uint8_t **p, size_t *n, const char *what) {
    AC_TRY(in_fixed(v, 8, p, what));
    *n = 8;
    while (*n && **p == 0) {
        (*p)++;
        (*n)--;
    }
    return AC_OK;
}

/* A BigInt: minimal big-endian bytes of at most BIG_MAX bytes. */
static int in_big(acr *v, const uint8_t **p, size_t *n, const char *what) {
    AC_TRY(in_bytes(v, p, n, what));
    if (*n && (*p)[0] == 0) return ac_failf(AC_ERR_INVALID, "%s: big integer with leading zero bytes", what);
    if (*n > BIG_MAX) return ac_failf(AC_ERR_INVALID, "%s: integer wider than 256 bits", what);
    return AC_OK;
}

static int in_link(acr *v, uint16_t codec, const uint8_t **digest, const char *what) {
    const uint8_t *cid, *p, *end;
    size_t n;
    uint64_t version, c, mh, len;
    if (acr_peek(v) != ACR_TAG) return ac_failf(AC_ERR_INVALID, "%s: expected a link", what);
    AC_TRY(acr_cid(v, &cid, &n));
    AC_TRY(acr_finish(v));
    p = cid;
    end = cid + n;
    if (ac_varint_read(&p, end, &version) || version != 1 || ac_varint_read(&p, end, &c) || c != codec ||
        ac_varint_read(&p, end, &mh) || mh != KECCAK_256 || ac_varint_read(&p, end, &len) || len != 32 ||
        (size_t)(end - p) != 32)
        return ac_failf(AC_ERR_INVALID, "%s: must be a CIDv1 with codec 0x%x and a 32-byte keccak-256 multihash", what,
                        (unsigned)codec);
    *digest = p;
    return AC_OK;
}

static bool in_null(acr *v) {
    acr t = *v;
    return acr_try_null(&t) && acr_done(&t);
}

static int in_array(acr *v, size_t *n, const char *what) {
    if (acr_peek(v) != ACR_ARRAY) return ac_failf(AC_ERR_INVALID, "%s: expected a list", what);
    return acr_array(v, n);
}

/* One element of an array as its own bounded reader. */
static int in_elem(acr *v, acr *e) {
    *e = *v;
    AC_TRY(acr_skip(v));
    e->end = v->p;
    return AC_OK;
}

/* ---- struct fields: RLP item <-> data model value ---------------------------------------- */

enum { F_LINK, F_FIXED, F_BYTES, F_UINT, F_BIG, F_ADDR_OPT, F_SUB };

typedef struct {
    const char *k;
    uint8_t kind;
    uint16_t arg; /* F_LINK: codec; F_FIXED: size */
    sub_fn dec;
    int (*enc)(ac_buf *out, acr *v, const char *what);
} fdesc;

static int dec_field(const fdesc *f, const rlp_item *it, ent *e) {
    e->k = f->k;
    e->it = it;
    e->p = it->p;
    e->n = it->n;
    switch (f->kind) {
    case F_LINK:
        AC_TRY(rlp_fixed(it, 32, f->k));
        e->kind = V_LINK;
        e->codec = f->arg;
        return AC_OK;
    case F_FIXED:
        AC_TRY(rlp_fixed(it, f->arg, f->k));
        e->kind = V_BYTES;
        return AC_OK;
    case F_BYTES:
        AC_TRY(rlp_want_str(it, f->k));
        e->kind = V_BYTES;
        return AC_OK;
    case F_UINT:
        AC_TRY(rlp_int(it, 8, f->k));
        e->kind = V_UINT8;
        return AC_OK;
    case F_BIG:
        AC_TRY(rlp_int(it, BIG_MAX, f->k));
        e->kind = V_BYTES;
        return AC_OK;
    case F_ADDR_OPT:
        AC_TRY(rlp_want_str(it, f->k));
        if (it->n == 0) {
            e->kind = V_NULL;
            return AC_OK;
        }
        AC_TRY(rlp_fixed(it, 20, f->k));
        e->kind = V_BYTES;
        return AC_OK;
    default:
        if (!it->list) return eth_fail_at(f->k, "expected a list");
        e->kind = V_SUB;
        e->sub = f->dec;
        return AC_OK;
    }
}

static int enc_field(const fdesc *f, acr *v, ac_buf *pl) {
    const uint8_t *p;
    size_t n;
    switch (f->kind) {
    case F_LINK: AC_TRY(in_link(v, f->arg, &p, f->k)); rlpw_str(pl, p, 32); break;
    case F_FIXED: AC_TRY(in_fixed(v, f->arg, &p, f->k)); rlpw_str(pl, p, f->arg); break;
    case F_BYTES: AC_TRY(in_bytes(v, &p, &n, f->k)); rlpw_str(pl, p, n); break;
    case F_UINT: AC_TRY(in_uint8(v, &p, &n, f->k)); rlpw_str(pl, p, n); break;
    case F_BIG: AC_TRY(in_big(v, &p, &n, f->k)); rlpw_str(pl, p, n); break;
    case F_ADDR_OPT:
        if (in_null(v)) {
            ac_buf_byte(pl, 0x80);
            break;
        }
        AC_TRY(in_fixed(v, 20, &p, f->k));
        rlpw_str(pl, p, 20);
        break;
    default: AC_TRY(f->enc(pl, v, f->k)); break;
    }
    return pl->err;
}

/* Decode the list `list` whose items are fields[0..count) into entries e (appending). */
static int dec_fields(const fdesc *const *fields, size_t count, const rlp_item *list, rlp_item *items, ent *e,
                      size_t *ne, const char *what) {
    size_t c;
    AC_TRY(rlp_fields(list, items, RLP_MAX_ITEMS, &c, what));
    if (c != count) return ac_failf(AC_ERR_INVALID, "%s: %zu list items, expected %zu", what, c, count);
    for (size_t i = 0; i < count; i++) AC_TRY(dec_field(fields[i], &items[i], &e[(*ne)++]));
    return AC_OK;
}

static int enc_fields(const fdesc *const *fields, size_t count, kv_map *m, ac_buf *pl) {
    for (size_t i = 0; i < count; i++) {
        acr *v;
        AC_TRY(kv_need(m, fields[i]->k, &v));
        AC_TRY(enc_field(fields[i], v, pl));
    }
    return AC_OK;
}

/* A key the reference always writes as null for this shape of value. */
static int enc_null_key(kv_map *m, const char *k) {
    acr *v;
    AC_TRY(kv_need(m, k, &v));
    if (!in_null(v)) return ac_failf(AC_ERR_INVALID, "%s: %s must be null here", m->what, k);
    return AC_OK;
}

/* ---- lists: an RLP list <-> an array, element by element ------------------------------- */

typedef int (*dec_elem_fn)(ac_buf *out, const rlp_item *it);
typedef int (*enc_elem_fn)(ac_buf *out, acr *v, const char *what);

/* The RLP list `list` as an array of its elements, each written by `elem`. */
static int dec_list_of(ac_buf *out, const rlp_item *list, dec_elem_fn elem) {
    size_t count;
    AC_TRY(rlp_count(list, &count));
    acw_array(out, count);
    const uint8_t *q = list->p, *end = list->p + list->n;
    rlp_item it;
    while (q < end) {
        AC_TRY(rlp_next(&q, end, &it));
        AC_TRY(elem(out, &it));
    }
    return out->err;
}

/* The array `v` (named `what`) as an RLP list of its elements, each encoded by `elem` (named
 * `elem_what` in its messages). */
static int enc_list_of(ac_buf *out, acr *v, const char *what, enc_elem_fn elem, const char *elem_what) {
    size_t count;
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(in_array(v, &count, what));
    for (size_t i = 0; i < count; i++) {
        acr e;
        AC_TRY(in_elem(v, &e));
        AC_TRY(elem(&pl, &e, elem_what));
    }
    AC_TRY(acr_finish(v));
    if (pl.err) return pl.err;
    rlpw_list(out, &pl);
    return out->err;
}

/* The RLP list `it` of exactly `fields` (at most 8), as the map of their values. */
static int dec_struct(ac_buf *out, const rlp_item *it, const fdesc *const *fields, size_t nf, const char *what) {
    rlp_item items[RLP_MAX_ITEMS];
    ent e[8];
    size_t ne = 0;
    AC_TRY(dec_fields(fields, nf, it, items, e, &ne, what));
    return write_ents(out, e, ne);
}

/* The map `m` holding exactly `fields`, as the RLP list of their values. */
static int enc_struct_map(ac_buf *out, kv_map *m, const fdesc *const *fields, size_t nf) {
    ac_buf item;
    ac_buf_init(&item);
    AC_TRY(enc_fields(fields, nf, m, &item));
    AC_TRY(kv_all_used(m));
    if (item.err) return item.err;
    rlpw_list(out, &item);
    return out->err;
}

static int enc_struct(ac_buf *out, acr *v, const char *what, const fdesc *const *fields, size_t nf) {
    kv_map m;
    AC_TRY(read_map(v, &m, what));
    return enc_struct_map(out, &m, fields, nf);
}

/* ---- lists of fixed-size byte strings (topics, storage keys, blob hashes) --------------- */

static int dec_hash(ac_buf *out, const rlp_item *it) {
    AC_TRY(rlp_fixed(it, 32, "hash list entry"));
    acw_bytes(out, it->p, 32);
    return out->err;
}

static int enc_hash(ac_buf *out, acr *v, const char *what) {
    const uint8_t *p;
    AC_TRY(in_fixed(v, 32, &p, what));
    rlpw_str(out, p, 32);
    return out->err;
}

static int dec_hashes(ac_buf *out, const rlp_item *list) { return dec_list_of(out, list, dec_hash); }

static int enc_hashes(ac_buf *out, acr *v, const char *what) { return enc_list_of(out, v, what, enc_hash, what); }

/* ---- access lists (EIP-2930) ------------------------------------------------------------ */

static const fdesc FD_AL_ADDRESS = {"Address", F_FIXED, 20, 0, 0};
static const fdesc FD_AL_KEYS = {"StorageKeys", F_SUB, 0, dec_hashes, enc_hashes};
static const fdesc *const AL_FIELDS[] = {&FD_AL_ADDRESS, &FD_AL_KEYS};

static int dec_access_entry(ac_buf *out, const rlp_item *it) {
    return dec_struct(out, it, AL_FIELDS, 2, "access list entry");
}

static int enc_access_entry(ac_buf *out, acr *v, const char *what) { return enc_struct(out, v, what, AL_FIELDS, 2); }

static int dec_access_list(ac_buf *out, const rlp_item *list) { return dec_list_of(out, list, dec_access_entry); }

static int enc_access_list(ac_buf *out, acr *v, const char *what) {
    return enc_list_of(out, v, what, enc_access_entry, what);
}

/* ---- EIP-7702 authorization lists (extension: the reference predates them) -------------- */

static const fdesc FD_AU_CHAIN = {"ChainID", F_BIG, 0, 0, 0};
static const fdesc FD_AU_ADDRESS = {"Address", F_FIXED, 20, 0, 0};
static const fdesc FD_AU_NONCE = {"Nonce", F_UINT, 0, 0, 0};
static const fdesc FD_AU_V = {"V", F_BIG, 0, 0, 0};
static const fdesc FD_AU_R = {"R", F_BIG, 0, 0, 0};
static const fdesc FD_AU_S = {"S", F_BIG, 0, 0, 0};
static const fdesc *const AU_FIELDS[] = {&FD_AU_CHAIN, &FD_AU_ADDRESS, &FD_AU_NONCE, &FD_AU_V, &FD_AU_R, &FD_AU_S};

static int dec_auth(ac_buf *out, const rlp_item *it) {
    rlp_item items[RLP_MAX_ITEMS];
    ent e[6];
    size_t ne = 0;
    AC_TRY(dec_fields(AU_FIELDS, 6, it, items, e, &ne, "authorization"));
    if (items[3].n > 1) return eth_fail_at("authorization", "y parity wider than 8 bits");
    return write_ents(out, e, ne);
}

static int enc_auth(ac_buf *out, acr *v, const char *what) { return enc_struct(out, v, what, AU_FIELDS, 6); }

static int dec_auth_list(ac_buf *out, const rlp_item *list) { return dec_list_of(out, list, dec_auth); }

static int enc_auth_list(ac_buf *out, acr *v, const char *what) { return enc_list_of(out, v, what, enc_auth, what); }

/* ---- header (0x90) ------------------------------------------------------------------------- */

#define H_FIELDS 21
#define H_BASE 15
static const fdesc H_FD[H_FIELDS] = {
    {"ParentCID", F_LINK, MC_ETH_BLOCK, 0, 0},      {"UnclesCID", F_LINK, MC_ETH_BLOCK_LIST, 0, 0},
    {"Coinbase", F_FIXED, 20, 0, 0},                {"StateRootCID", F_LINK, MC_ETH_STATE_TRIE, 0, 0},
    {"TxRootCID", F_LINK, MC_ETH_TX_TRIE, 0, 0},    {"RctRootCID", F_LINK, MC_ETH_RCT_TRIE, 0, 0},
    {"Bloom", F_FIXED, 256, 0, 0},                  {"Difficulty", F_BIG, 0, 0, 0},
    {"Number", F_BIG, 0, 0, 0},                     {"GasLimit", F_UINT, 0, 0, 0},
    {"GasUsed", F_UINT, 0, 0, 0},                   {"Time", F_UINT, 0, 0, 0},
    {"Extra", F_BYTES, 0, 0, 0},                    {"MixDigest", F_FIXED, 32, 0, 0},
    {"Nonce", F_FIXED, 8, 0, 0},                    {"BaseFee", F_BIG, 0, 0, 0},
    {"WithdrawalsHash", F_FIXED, 32, 0, 0},         {"BlobGasUsed", F_UINT, 0, 0, 0},
    {"ExcessBlobGas", F_UINT, 0, 0, 0},             {"ParentBeaconRoot", F_FIXED, 32, 0, 0},
    {"RequestsHash", F_FIXED, 32, 0, 0},
};

static bool header_shape(size_t count) {
    return count == 15 || count == 16 || count == 17 || count == 20 || count == 21;
}

static int dec_header(ac_buf *out, const rlp_item *list) {
    rlp_item items[RLP_MAX_ITEMS];
    ent e[H_FIELDS];
    size_t count;
    AC_TRY(rlp_fields(list, items, RLP_MAX_ITEMS, &count, "header"));
    if (!header_shape(count))
        return ac_failf(AC_ERR_INVALID, "header: %zu fields is no header shape (15, 16, 17, 20 or 21)", count);
    size_t ne = 0;
    for (size_t i = 0; i < count; i++) AC_TRY(dec_field(&H_FD[i], &items[i], &e[ne++]));
    if (count == H_BASE) e[ne++] = (ent){.k = "BaseFee", .kind = V_NULL};
    return write_ents(out, e, ne);
}

static int enc_header(ac_buf *out, acr *v, const char *what) {
    kv_map m;
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(read_map(v, &m, what));
    AC_TRY(acr_finish(v));
    acr *vals[H_FIELDS];
    for (size_t i = 0; i < H_BASE; i++) AC_TRY(kv_need(&m, H_FD[i].k, &vals[i]));
    AC_TRY(kv_need(&m, "BaseFee", &vals[H_BASE]));
    if (in_null(vals[H_BASE])) vals[H_BASE] = 0;
    for (size_t i = H_BASE + 1; i < H_FIELDS; i++) {
        vals[i] = kv_get(&m, H_FD[i].k);
        if (vals[i] && in_null(vals[i]))
            return ac_failf(AC_ERR_INVALID, "%s: %s is absent, not null, when the header has no such field", what,
                            H_FD[i].k);
    }
    AC_TRY(kv_all_used(&m));
    size_t count = H_FIELDS;
    while (count > H_BASE && !vals[count - 1]) count--;
    for (size_t i = H_BASE; i < count; i++)
        if (!vals[i]) return ac_failf(AC_ERR_INVALID, "%s: %s is missing but a later fork field is set", what, H_FD[i].k);
    if (!header_shape(count))
        return ac_failf(AC_ERR_INVALID, "%s: %zu fields is no header shape (15, 16, 17, 20 or 21)", what, count);
    for (size_t i = 0; i < count; i++) AC_TRY(enc_field(&H_FD[i], vals[i], &pl));
    if (pl.err) return pl.err;
    rlpw_list(out, &pl);
    return out->err;
}

/* ---- uncles (0x91) ------------------------------------------------------------------------- */

static int dec_uncles(ac_buf *out, const rlp_item *list) {
    if (!list->list) return eth_fail_at("uncles", "not an RLP list");
    return dec_list_of(out, list, dec_header);
}

static int enc_uncles(ac_buf *out, acr *v, const char *what) {
    return enc_list_of(out, v, what, enc_header, "uncle header");
}

/* ---- transactions (0x93): legacy, EIP-2930, 1559, 4844, 7702 --------------------------------- */

static const fdesc FD_CHAIN = {"ChainID", F_BIG, 0, 0, 0};
static const fdesc FD_NONCE = {"AccountNonce", F_UINT, 0, 0, 0};
static const fdesc FD_GASPRICE = {"GasPrice", F_BIG, 0, 0, 0};
static const fdesc FD_TIP = {"GasTipCap", F_BIG, 0, 0, 0};
static const fdesc FD_FEECAP = {"GasFeeCap", F_BIG, 0, 0, 0};
static const fdesc FD_GAS = {"GasLimit", F_UINT, 0, 0, 0};
static const fdesc FD_TO_OPT = {"Recipient", F_ADDR_OPT, 0, 0, 0};
static const fdesc FD_TO = {"Recipient", F_FIXED, 20, 0, 0};
static const fdesc FD_VALUE = {"Amount", F_BIG, 0, 0, 0};
static const fdesc FD_DATA = {"Data", F_BYTES, 0, 0, 0};
static const fdesc FD_AL = {"AccessList", F_SUB, 0, dec_access_list, enc_access_list};
static const fdesc FD_BLOBFEE = {"MaxFeePerBlobGas", F_BIG, 0, 0, 0};
static const fdesc FD_BLOBS = {"BlobVersionedHashes", F_SUB, 0, dec_hashes, enc_hashes};
static const fdesc FD_AUTH = {"AuthorizationList", F_SUB, 0, dec_auth_list, enc_auth_list};
static const fdesc FD_V = {"V", F_BIG, 0, 0, 0};
static const fdesc FD_R = {"R", F_BIG, 0, 0, 0};
static const fdesc FD_S = {"S", F_BIG, 0, 0, 0};

static const fdesc *const TX0[] = {&FD_NONCE, &FD_GASPRICE, &FD_GAS, &FD_TO_OPT, &FD_VALUE, &FD_DATA, &FD_V, &FD_R, &FD_S};
static const fdesc *const TX1[] = {&FD_CHAIN, &FD_NONCE, &FD_GASPRICE, &FD_GAS, &FD_TO_OPT, &FD_VALUE,
                                   &FD_DATA,  &FD_AL,    &FD_V,        &FD_R,   &FD_S};
static const fdesc *const TX2[] = {&FD_CHAIN, &FD_NONCE, &FD_TIP, &FD_FEECAP, &FD_GAS, &FD_TO_OPT,
                                   &FD_VALUE, &FD_DATA,  &FD_AL,  &FD_V,      &FD_R,   &FD_S};
static const fdesc *const TX3[] = {&FD_CHAIN, &FD_NONCE, &FD_TIP,     &FD_FEECAP, &FD_GAS,   &FD_TO, &FD_VALUE,
                                   &FD_DATA,  &FD_AL,    &FD_BLOBFEE, &FD_BLOBS,  &FD_V,     &FD_R,  &FD_S};
static const fdesc *const TX4[] = {&FD_CHAIN, &FD_NONCE, &FD_TIP, &FD_FEECAP, &FD_GAS, &FD_TO, &FD_VALUE,
                                   &FD_DATA,  &FD_AL,    &FD_AUTH, &FD_V,     &FD_R,   &FD_S};
static const char *const TX0_NULL[] = {"ChainID", "GasTipCap", "GasFeeCap", "AccessList"};
static const char *const TX1_NULL[] = {"GasTipCap", "GasFeeCap"};
static const char *const TX2_NULL[] = {"GasPrice"};

typedef struct {
    const fdesc *const *fields;
    size_t nf;
    const char *const *nulls;
    size_t nn;
} tx_shape;

static const tx_shape TX_SHAPES[5] = {
    {TX0, 9, TX0_NULL, 4}, {TX1, 11, TX1_NULL, 2}, {TX2, 12, TX2_NULL, 1},
    {TX3, 14, TX2_NULL, 1}, {TX4, 13, TX2_NULL, 1},
};

static const uint8_t TYPE_BYTES[5] = {0, 1, 2, 3, 4};

/* Split a typed envelope: legacy (an RLP list) is type 0; else one type byte 1..4 + a list. */
static int envelope(const uint8_t *in, size_t n, unsigned *type, rlp_item *list, const char *what) {
    if (n == 0) return eth_fail_at(what, "empty");
    if (in[0] >= 0xc0) {
        *type = 0;
        AC_TRY(rlp_one(in, n, list));
        return AC_OK;
    }
    if (in[0] < 1 || in[0] > 4)
        return ac_failf(AC_ERR_INVALID, "%s: type 0x%x is not a known type (1-4) or a legacy RLP list", what,
                        (unsigned)in[0]);
    *type = in[0];
    AC_TRY(rlp_one(in + 1, n - 1, list));
    if (!list->list) return eth_fail_at(what, "typed payload is not an RLP list");
    return AC_OK;
}

static int dec_tx(ac_buf *out, const uint8_t *in, size_t n) {
    unsigned type;
    rlp_item list, items[RLP_MAX_ITEMS];
    ent e[20];
    size_t ne = 0;
    AC_TRY(envelope(in, n, &type, &list, "transaction"));
    const tx_shape *s = &TX_SHAPES[type];
    AC_TRY(dec_fields(s->fields, s->nf, &list, items, e, &ne, "transaction"));
    for (size_t i = 0; i < s->nn; i++) e[ne++] = (ent){.k = s->nulls[i], .kind = V_NULL};
    e[ne++] = (ent){.k = "TxType", .kind = V_BYTES, .p = &TYPE_BYTES[type], .n = 1};
    return write_ents(out, e, ne);
}

static int enc_type(kv_map *m, unsigned *type) {
    acr *v;
    const uint8_t *p;
    AC_TRY(kv_need(m, "TxType", &v));
    AC_TRY(in_fixed(v, 1, &p, "TxType"));
    if (p[0] > 4) return ac_failf(AC_ERR_INVALID, "%s: TxType %u is not 0-4", m->what, (unsigned)p[0]);
    *type = p[0];
    return AC_OK;
}

static int enc_tx(ac_buf *out, acr *v, const char *what) {
    kv_map m;
    unsigned type;
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(read_map(v, &m, what));
    AC_TRY(acr_finish(v));
    AC_TRY(enc_type(&m, &type));
    const tx_shape *s = &TX_SHAPES[type];
    for (size_t i = 0; i < s->nn; i++) AC_TRY(enc_null_key(&m, s->nulls[i]));
    AC_TRY(enc_fields(s->fields, s->nf, &m, &pl));
    AC_TRY(kv_all_used(&m));
    if (pl.err) return pl.err;
    if (type) ac_buf_byte(out, (uint8_t)type);
    rlpw_list(out, &pl);
    return out->err;
}

/* ---- logs (0x9a) and receipts (0x95) ----------------------------------------------------------- */

static const fdesc FD_LOG_ADDRESS = {"Address", F_FIXED, 20, 0, 0};
static const fdesc FD_LOG_TOPICS = {"Topics", F_SUB, 0, dec_hashes, enc_hashes};
static const fdesc FD_LOG_DATA = {"Data", F_BYTES, 0, 0, 0};
static const fdesc *const LOG_FIELDS[] = {&FD_LOG_ADDRESS, &FD_LOG_TOPICS, &FD_LOG_DATA};

static int dec_log(ac_buf *out, const rlp_item *it) { return dec_struct(out, it, LOG_FIELDS, 3, "log"); }

static int enc_log(ac_buf *out, acr *v, const char *what) {
    kv_map m;
    AC_TRY(read_map(v, &m, what));
    AC_TRY(acr_finish(v));
    return enc_struct_map(out, &m, LOG_FIELDS, 3);
}

static int dec_logs(ac_buf *out, const rlp_item *list) { return dec_list_of(out, list, dec_log); }

/* The root of the trie of a receipt's logs, keyed by RLP(index) (go-codec-dageth's LogRootCID):
 * `logs` is the payload of the logs list, whose items are the trie's values. */
static int log_root(const uint8_t *logs, size_t n, uint8_t root[32]) {
    size_t count = 0;
    rlp_item whole = {.p = logs, .n = n, .list = true};
    AC_TRY(rlp_count(&whole, &count));
    mpt_kv *kv = count ? ac_alloc(count * sizeof(mpt_kv)) : 0;
    uint8_t *keys = count ? ac_alloc(count * 9) : 0;
    if (count && (!kv || !keys)) return ac_fail(AC_ERR_NOMEM, "out of memory");
    const uint8_t *q = logs, *end = logs + n;
    for (size_t i = 0; i < count; i++) {
        rlp_item it;
        AC_TRY(rlp_next(&q, end, &it));
        uint8_t *k = keys + 9 * i;
        size_t kn;
        if (i == 0) {
            k[0] = 0x80;
            kn = 1;
        } else if (i < 0x80) {
            k[0] = (uint8_t)i;
            kn = 1;
        } else {
            size_t bl = be_len(i);
            k[0] = (uint8_t)(0x80 + bl);
            for (size_t b = 0; b < bl; b++) k[1 + b] = (uint8_t)(i >> (8 * (bl - 1 - b)));
            kn = 1 + bl;
        }
        kv[i] = (mpt_kv){k, kn, it.raw, it.rawn};
    }
    return mpt_root(kv, count, root);
}

static int enc_logs(ac_buf *out, acr *v, const char *what) { return enc_list_of(out, v, what, enc_log, "log"); }

static const fdesc FD_CUMGAS = {"CumulativeGasUsed", F_UINT, 0, 0, 0};
static const fdesc FD_BLOOM = {"Bloom", F_FIXED, 256, 0, 0};
static const fdesc FD_LOGS = {"Logs", F_SUB, 0, dec_logs, enc_logs};
static const uint8_t STATUS_FAILED[1] = {0}, STATUS_OK[1] = {1};

static int dec_rct(ac_buf *out, const uint8_t *in, size_t n) {
    unsigned type;
    rlp_item list, items[RLP_MAX_ITEMS];
    ent e[8];
    size_t ne = 0, count;
    uint8_t root[32];
    AC_TRY(envelope(in, n, &type, &list, "receipt"));
    AC_TRY(rlp_fields(&list, items, RLP_MAX_ITEMS, &count, "receipt"));
    if (count != 4) return ac_failf(AC_ERR_INVALID, "receipt: %zu list items, expected 4", count);
    const rlp_item *ps = &items[0];
    AC_TRY(rlp_want_str(ps, "receipt status"));
    if (ps->n == 32) {
        e[ne++] = (ent){.k = "PostState", .kind = V_BYTES, .p = ps->p, .n = 32};
        e[ne++] = (ent){.k = "Status", .kind = V_NULL};
    } else if (ps->n == 0 || (ps->n == 1 && ps->p[0] == 1)) {
        e[ne++] = (ent){.k = "PostState", .kind = V_NULL};
        e[ne++] = (ent){.k = "Status", .kind = V_UINT8, .p = ps->n ? STATUS_OK : STATUS_FAILED, .n = 1};
    } else {
        return eth_fail_at("receipt", "post-state or status is neither a 32-byte root, empty nor 0x01");
    }
    AC_TRY(dec_field(&FD_CUMGAS, &items[1], &e[ne++]));
    AC_TRY(dec_field(&FD_BLOOM, &items[2], &e[ne++]));
    AC_TRY(dec_field(&FD_LOGS, &items[3], &e[ne++]));
    AC_TRY(log_root(items[3].p, items[3].n, root));
    e[ne++] = (ent){.k = "LogRootCID", .kind = V_LINK, .codec = MC_ETH_LOG_TRIE, .p = root};
    e[ne++] = (ent){.k = "TxType", .kind = V_BYTES, .p = &TYPE_BYTES[type], .n = 1};
    return write_ents(out, e, ne);
}

static int enc_rct(ac_buf *out, acr *v, const char *what) {
    kv_map m;
    unsigned type;
    acr *ps, *st, *lr;
    const uint8_t *p, *digest;
    size_t n;
    uint8_t root[32];
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(read_map(v, &m, what));
    AC_TRY(acr_finish(v));
    AC_TRY(enc_type(&m, &type));
    AC_TRY(kv_need(&m, "PostState", &ps));
    AC_TRY(kv_need(&m, "Status", &st));
    if (in_null(ps) == in_null(st)) return ac_failf(AC_ERR_INVALID, "%s: exactly one of PostState and Status is null", what);
    if (in_null(st)) {
        AC_TRY(in_fixed(ps, 32, &p, "PostState"));
        rlpw_str(&pl, p, 32);
    } else {
        AC_TRY(in_uint8(st, &p, &n, "Status"));
        if (n > 1 || (n == 1 && p[0] != 1)) return ac_failf(AC_ERR_INVALID, "%s: Status must be 0 or 1", what);
        rlpw_str(&pl, p, n);
    }
    AC_TRY(enc_fields((const fdesc *const[]){&FD_CUMGAS, &FD_BLOOM}, 2, &m, &pl));
    size_t logs_at = pl.len;
    AC_TRY(enc_fields((const fdesc *const[]){&FD_LOGS}, 1, &m, &pl));
    AC_TRY(kv_need(&m, "LogRootCID", &lr));
    AC_TRY(in_link(lr, MC_ETH_LOG_TRIE, &digest, "LogRootCID"));
    AC_TRY(kv_all_used(&m));
    if (pl.err) return pl.err;
    rlp_item logs;
    AC_TRY(rlp_one(pl.data + logs_at, pl.len - logs_at, &logs));
    AC_TRY(log_root(logs.p, logs.n, root));
    if (memcmp(root, digest, 32) != 0) return ac_failf(AC_ERR_INVALID, "%s: LogRootCID is not the root of the logs' trie", what);
    if (type) ac_buf_byte(out, (uint8_t)type);
    rlpw_list(out, &pl);
    return out->err;
}

/* ---- accounts (0x97) ------------------------------------------------------------------------ */

static const fdesc FD_ACC_NONCE = {"Nonce", F_UINT, 0, 0, 0};
static const fdesc FD_ACC_BALANCE = {"Balance", F_BIG, 0, 0, 0};
static const fdesc FD_ACC_ROOT = {"StorageRootCID", F_LINK, MC_ETH_STORAGE_TRIE, 0, 0};
static const fdesc FD_ACC_CODE = {"CodeCID", F_LINK, MC_RAW, 0, 0};
static const fdesc *const ACC_FIELDS[] = {&FD_ACC_NONCE, &FD_ACC_BALANCE, &FD_ACC_ROOT, &FD_ACC_CODE};

static int dec_account(ac_buf *out, const rlp_item *it) { return dec_struct(out, it, ACC_FIELDS, 4, "account"); }

static int enc_account(ac_buf *out, acr *v, const char *what) {
    kv_map m;
    AC_TRY(read_map(v, &m, what));
    AC_TRY(acr_finish(v));
    return enc_struct_map(out, &m, ACC_FIELDS, 4);
}

/* ---- trie nodes (0x92, 0x94, 0x96, 0x98, 0x99) ----------------------------------------------- */

/* The leaf value's union member name for a trie codec (go-codec-dageth trie.ValueKind). */
static const char *value_kind(uint16_t codec) {
    switch (codec) {
    case MC_ETH_TX_TRIE: return "Transaction";
    case MC_ETH_RCT_TRIE: return "Receipt";
    case MC_ETH_STATE_TRIE: return "Account";
    case MC_ETH_STORAGE_TRIE: return "Bytes";
    default: return "Log";
    }
}

/* {"<kind>": value decoded from the leaf's bytes} */
static int dec_value(ac_buf *out, const uint8_t *p, size_t n, uint16_t codec) {
    rlp_item it;
    acw_map(out, 1);
    acw_cstr(out, value_kind(codec));
    switch (codec) {
    case MC_ETH_TX_TRIE: return dec_tx(out, p, n);
    case MC_ETH_RCT_TRIE: return dec_rct(out, p, n);
    case MC_ETH_STORAGE_TRIE: return acw_bytes(out, p, n);
    case MC_ETH_STATE_TRIE: AC_TRY(rlp_one(p, n, &it)); return dec_account(out, &it);
    default: AC_TRY(rlp_one(p, n, &it)); return dec_log(out, &it);
    }
}

static int enc_value(ac_buf *out, acr *v, uint16_t codec) {
    kv_map m;
    acr *val;
    const uint8_t *p;
    size_t n;
    ac_buf b;
    ac_buf_init(&b);
    AC_TRY(read_map(v, &m, "trie value"));
    AC_TRY(acr_finish(v));
    AC_TRY(kv_need(&m, value_kind(codec), &val));
    AC_TRY(kv_all_used(&m));
    switch (codec) {
    case MC_ETH_TX_TRIE: AC_TRY(enc_tx(&b, val, "Transaction")); break;
    case MC_ETH_RCT_TRIE: AC_TRY(enc_rct(&b, val, "Receipt")); break;
    case MC_ETH_STORAGE_TRIE: AC_TRY(in_bytes(val, &p, &n, "Bytes")); ac_buf_put(&b, p, n); break;
    case MC_ETH_STATE_TRIE: AC_TRY(enc_account(&b, val, "Account")); break;
    default: AC_TRY(enc_log(&b, val, "Log")); break;
    }
    if (b.err) return b.err;
    rlpw_str(out, b.data, b.len);
    return out->err;
}

/* Hex-prefix path -> nibbles (a leaf's end with the terminator 16), strictly: the flag is
 * 0-3 and the padding nibble of an even path is 0. */
static int path_nibbles(const rlp_item *it, bool *leaf, uint8_t *nibs, size_t *nn) {
    AC_TRY(rlp_want_str(it, "partial path"));
    if (it->n == 0) return eth_fail_at("trie node", "empty partial path");
    if (it->n > 33) return eth_fail_at("trie node", "partial path longer than 64 nibbles");
    unsigned flag = it->p[0] >> 4;
    if (flag > 3) return eth_fail_at("trie node", "unknown hex-prefix flag");
    *leaf = flag >= 2;
    size_t k = 0;
    if (flag & 1) nibs[k++] = it->p[0] & 15;
    else if (it->p[0] & 15) return eth_fail_at("trie node", "even partial path with a non-zero pad nibble");
    for (size_t i = 1; i < it->n; i++) {
        nibs[k++] = it->p[i] >> 4;
        nibs[k++] = it->p[i] & 15;
    }
    if (*leaf) nibs[k++] = 16;
    *nn = k;
    return AC_OK;
}

static int dec_short(ac_buf *out, const rlp_item *items, uint16_t codec, bool embedded) {
    bool leaf;
    uint8_t nibs[80];
    size_t nn;
    acw_keycur cur = {0};
    AC_TRY(path_nibbles(&items[0], &leaf, nibs, &nn));
    if (embedded && !leaf) return eth_fail_at("trie node", "a node embedded in a branch must be a leaf");
    acw_map(out, 1);
    acw_cstr(out, leaf ? "TrieLeafNode" : "TrieExtensionNode");
    acw_map(out, 2);
    if (leaf) {
        AC_TRY(rlp_want_str(&items[1], "leaf value"));
        AC_TRY(acw_map_key(out, &cur, "Value", 5));
        AC_TRY(dec_value(out, items[1].p, items[1].n, codec));
        AC_TRY(acw_map_key(out, &cur, "PartialPath", 11));
        acw_bytes(out, nibs, nn);
    } else {
        if (items[1].list || items[1].n != 32)
            return eth_fail_at("trie node", "an extension's child must be a 32-byte hash");
        AC_TRY(acw_map_key(out, &cur, "Child", 5));
        write_link(out, codec, items[1].p);
        AC_TRY(acw_map_key(out, &cur, "PartialPath", 11));
        acw_bytes(out, nibs, nn);
    }
    return out->err;
}

static const char *const CHILD_KEYS[16] = {"Child0", "Child1", "Child2", "Child3", "Child4", "Child5",
                                           "Child6", "Child7", "Child8", "Child9", "ChildA", "ChildB",
                                           "ChildC", "ChildD", "ChildE", "ChildF"};

static int dec_trie(ac_buf *out, const uint8_t *in, size_t n, uint16_t codec) {
    rlp_item node, items[RLP_MAX_ITEMS];
    size_t count;
    AC_TRY(rlp_one(in, n, &node));
    AC_TRY(rlp_fields(&node, items, RLP_MAX_ITEMS, &count, "trie node"));
    if (count == 2) return dec_short(out, items, codec, false);
    if (count != 17) return ac_failf(AC_ERR_INVALID, "trie node: %zu items (a node has 2 or 17)", count);
    acw_map(out, 1);
    acw_cstr(out, "TrieBranchNode");
    acw_map(out, 17);
    acw_keycur cur = {0};
    /* "Value" sorts before "Child0" (shorter keys first) */
    AC_TRY(acw_map_key(out, &cur, "Value", 5));
    AC_TRY(rlp_want_str(&items[16], "branch value"));
    if (items[16].n == 0) acw_null(out);
    else AC_TRY(dec_value(out, items[16].p, items[16].n, codec));
    for (int i = 0; i < 16; i++) {
        const rlp_item *c = &items[i];
        AC_TRY(acw_map_key(out, &cur, CHILD_KEYS[i], 6));
        if (!c->list && c->n == 0) {
            acw_null(out);
        } else if (!c->list && c->n == 32) {
            acw_map(out, 1);
            acw_cstr(out, "Link");
            write_link(out, codec, c->p);
        } else if (c->list) {
            rlp_item sub[RLP_MAX_ITEMS];
            size_t sc;
            AC_TRY(rlp_fields(c, sub, RLP_MAX_ITEMS, &sc, "embedded trie node"));
            if (sc != 2) return eth_fail_at("trie node", "a node embedded in a branch must be a leaf");
            acw_map(out, 1);
            acw_cstr(out, "TrieNode");
            AC_TRY(dec_short(out, sub, codec, true));
        } else {
            return ac_failf(AC_ERR_INVALID, "trie node: branch child %d has %zu bytes (0 or 32)", i, c->n);
        }
    }
    return out->err;
}

/* nibbles -> hex-prefix RLP string */
static int enc_path(ac_buf *out, acr *v, bool leaf) {
    const uint8_t *p;
    size_t n;
    AC_TRY(in_bytes(v, &p, &n, "PartialPath"));
    if (leaf) {
        if (n == 0 || p[n - 1] != 16) return ac_fail(AC_ERR_INVALID, "PartialPath: a leaf's path ends with 16");
        n--;
    }
    if (n > 64) return ac_fail(AC_ERR_INVALID, "PartialPath: longer than 64 nibbles");
    for (size_t i = 0; i < n; i++)
        if (p[i] > 15) return ac_fail(AC_ERR_INVALID, "PartialPath: a nibble above 15");
    uint8_t tmp[33];
    size_t k = 0, i = 0;
    uint8_t flag = (uint8_t)((leaf ? 2 : 0) + (n & 1));
    if (n & 1) tmp[k++] = (uint8_t)(flag << 4 | p[i++]);
    else tmp[k++] = (uint8_t)(flag << 4);
    for (; i < n; i += 2) tmp[k++] = (uint8_t)(p[i] << 4 | p[i + 1]);
    rlpw_str(out, tmp, k);
    return out->err;
}

/* {"TrieLeafNode"|"TrieExtensionNode": {...}} -> the node's RLP list */
static int enc_short(ac_buf *out, kv_map *outer, uint16_t codec, bool embedded) {
    acr *body;
    bool leaf = true;
    body = kv_get(outer, "TrieLeafNode");
    if (!body && !embedded) {
        body = kv_get(outer, "TrieExtensionNode");
        leaf = false;
    }
    if (!body) return ac_fail(AC_ERR_INVALID, "trie node: expected TrieLeafNode or TrieExtensionNode");
    AC_TRY(kv_all_used(outer));
    kv_map m;
    acr *path, *val;
    const uint8_t *digest;
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(read_map(body, &m, leaf ? "TrieLeafNode" : "TrieExtensionNode"));
    AC_TRY(acr_finish(body));
    AC_TRY(kv_need(&m, "PartialPath", &path));
    AC_TRY(enc_path(&pl, path, leaf));
    if (leaf) {
        AC_TRY(kv_need(&m, "Value", &val));
        AC_TRY(enc_value(&pl, val, codec));
    } else {
        AC_TRY(kv_need(&m, "Child", &val));
        AC_TRY(in_link(val, codec, &digest, "Child"));
        rlpw_str(&pl, digest, 32);
    }
    AC_TRY(kv_all_used(&m));
    if (pl.err) return pl.err;
    rlpw_list(out, &pl);
    return out->err;
}

static int enc_trie(ac_buf *out, acr *v, uint16_t codec) {
    kv_map outer, m;
    acr *body;
    AC_TRY(read_map(v, &outer, "trie node"));
    AC_TRY(acr_finish(v));
    body = kv_get(&outer, "TrieBranchNode");
    if (!body) return enc_short(out, &outer, codec, false);
    AC_TRY(kv_all_used(&outer));
    ac_buf pl;
    ac_buf_init(&pl);
    AC_TRY(read_map(body, &m, "TrieBranchNode"));
    AC_TRY(acr_finish(body));
    for (int i = 0; i < 16; i++) {
        acr *c;
        AC_TRY(kv_need(&m, CHILD_KEYS[i], &c));
        if (in_null(c)) {
            ac_buf_byte(&pl, 0x80);
            continue;
        }
        kv_map cm;
        acr *x;
        const uint8_t *digest;
        AC_TRY(read_map(c, &cm, "branch child"));
        AC_TRY(acr_finish(c));
        if ((x = kv_get(&cm, "Link"))) {
            AC_TRY(kv_all_used(&cm));
            AC_TRY(in_link(x, codec, &digest, "Link"));
            rlpw_str(&pl, digest, 32);
        } else if ((x = kv_get(&cm, "TrieNode"))) {
            kv_map node;
            AC_TRY(kv_all_used(&cm));
            AC_TRY(read_map(x, &node, "TrieNode"));
            AC_TRY(acr_finish(x));
            AC_TRY(enc_short(&pl, &node, codec, true));
        } else {
            return ac_fail(AC_ERR_INVALID, "branch child: expected Link or TrieNode");
        }
    }
    acr *val;
    AC_TRY(kv_need(&m, "Value", &val));
    if (in_null(val)) ac_buf_byte(&pl, 0x80);
    else AC_TRY(enc_value(&pl, val, codec));
    AC_TRY(kv_all_used(&m));
    if (pl.err) return pl.err;
    rlpw_list(out, &pl);
    return out->err;
}

/* ---- the module's codec ------------------------------------------------------------------ */

#ifndef DAGETH_CODEC
#error "define DAGETH_CODEC (the multicodec) before including dageth.h"
#endif

static int dageth_decode(const uint8_t *in, size_t n, ac_buf *out) {
    rlp_item it;
    switch (DAGETH_CODEC) {
    case MC_ETH_BLOCK: AC_TRY(rlp_one(in, n, &it)); return dec_header(out, &it);
    case MC_ETH_BLOCK_LIST: AC_TRY(rlp_one(in, n, &it)); return dec_uncles(out, &it);
    case MC_ETH_TX: return dec_tx(out, in, n);
    case MC_ETH_RCT: return dec_rct(out, in, n);
    case MC_ETH_ACCOUNT: AC_TRY(rlp_one(in, n, &it)); return dec_account(out, &it);
    case MC_ETH_LOG: AC_TRY(rlp_one(in, n, &it)); return dec_log(out, &it);
    default: return dec_trie(out, in, n, DAGETH_CODEC);
    }
}

static int dageth_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    switch (DAGETH_CODEC) {
    case MC_ETH_BLOCK: return enc_header(out, &r, "header");
    case MC_ETH_BLOCK_LIST: return enc_uncles(out, &r, "uncles");
    case MC_ETH_TX: return enc_tx(out, &r, "transaction");
    case MC_ETH_RCT: return enc_rct(out, &r, "receipt");
    case MC_ETH_ACCOUNT: return enc_account(out, &r, "account");
    case MC_ETH_LOG: return enc_log(out, &r, "log");
    default: return enc_trie(out, &r, DAGETH_CODEC);
    }
}

typedef struct {
    ac_buf *out;
    size_t count;
} link_acc;

/* keccak-256 of RLP(""), the root of an empty trie, and of no bytes, the hash of no code */
static const uint8_t EMPTY_TRIE_ROOT[32] = {
    0x56, 0xe8, 0x1f, 0x17, 0x1b, 0xcc, 0x55, 0xa6, 0xff, 0x83, 0x45, 0xe6, 0x92, 0xc0, 0xf8, 0x6e,
    0x5b, 0x48, 0xe0, 0x1b, 0x99, 0x6c, 0xad, 0xc0, 0x01, 0x62, 0x2f, 0xb5, 0xe3, 0x63, 0xb4, 0x21};
static const uint8_t EMPTY_CODE_HASH[32] = {
    0xc5, 0xd2, 0x46, 0x01, 0x86, 0xf7, 0x23, 0x3c, 0x92, 0x7e, 0x7d, 0xb2, 0xdc, 0xc7, 0x03, 0xc0,
    0xe5, 0x00, 0xb6, 0x53, 0xca, 0x82, 0x27, 0x3b, 0x7b, 0xfa, 0xd8, 0x04, 0x5d, 0x85, 0xa4, 0x70};

/* A link that names no block by construction: an empty trie's root (a trie codec) or the
 * empty code (raw).  The data model keeps it (as the reference does); ac_links leaves it out,
 * so walking a DAG does not ask for a block that cannot exist. */
static bool names_no_block(const uint8_t *cid, size_t n) {
    const uint8_t *p = cid, *end = cid + n;
    uint64_t version, codec, mh, len;
    if (ac_varint_read(&p, end, &version) || ac_varint_read(&p, end, &codec) || ac_varint_read(&p, end, &mh) ||
        ac_varint_read(&p, end, &len) || mh != KECCAK_256 || len != 32 || (size_t)(end - p) != 32)
        return false;
    if (codec == MC_RAW) return memcmp(p, EMPTY_CODE_HASH, 32) == 0;
    bool trie = codec == MC_ETH_TX_TRIE || codec == MC_ETH_RCT_TRIE || codec == MC_ETH_STATE_TRIE ||
                codec == MC_ETH_STORAGE_TRIE || codec == MC_ETH_LOG_TRIE;
    return trie && memcmp(p, EMPTY_TRIE_ROOT, 32) == 0;
}

static int count_link(void *ctx, const uint8_t *cid, size_t n) {
    if (!names_no_block(cid, n)) ((link_acc *)ctx)->count++;
    return AC_OK;
}

static int put_link(void *ctx, const uint8_t *cid, size_t n) {
    if (names_no_block(cid, n)) return AC_OK;
    return acw_cid(((link_acc *)ctx)->out, cid, n);
}

/* The links of a block: every link of its data model, in document order, but those that name
 * no block (names_no_block). */
static int dageth_links(const uint8_t *in, size_t n, ac_buf *out) {
    ac_buf model;
    ac_buf_init(&model);
    AC_TRY(dageth_decode(in, n, &model));
    if (model.err) return model.err;
    link_acc acc = {out, 0};
    acr r;
    acr_init(&r, model.data, model.len);
    AC_TRY(acr_walk(&r, count_link, &acc));
    acw_array(out, acc.count);
    acr_init(&r, model.data, model.len);
    AC_TRY(acr_walk(&r, put_link, &acc));
    return out->err;
}

AC_EXPORT_CODEC(dageth_decode, dageth_encode, dageth_links)

#endif
