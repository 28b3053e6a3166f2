/*
 * Strict RLP, keccak-256 and Merkle-Patricia root hashing shared by the Ethereum codec
 * modules (wasm-src/eth-*), included by each module's single .c file.
 *
 * RLP (Ethereum yellow paper, appendix B) is read strictly: shortest length forms, a single
 * byte below 0x80 never wrapped, no leading zeros in lengths; integers are checked by the
 * callers (rlp_uint / rlp_big).  So every accepted encoding is the one a writer produces and
 * decode -> encode gives the input back.
 */
#ifndef ETH_RLP_H
#define ETH_RLP_H
#include "ac.h"

#define KECCAK_256 0x1b
#define MC_RAW 0x55
#define MC_ETH_BLOCK 0x90
#define MC_ETH_BLOCK_LIST 0x91
#define MC_ETH_TX_TRIE 0x92
#define MC_ETH_TX 0x93
#define MC_ETH_RCT_TRIE 0x94
#define MC_ETH_RCT 0x95
#define MC_ETH_STATE_TRIE 0x96
#define MC_ETH_ACCOUNT 0x97
#define MC_ETH_STORAGE_TRIE 0x98
#define MC_ETH_LOG_TRIE 0x99
#define MC_ETH_LOG 0x9a

#define RLP_MAX_ITEMS 32 /* the widest fixed-shape list here is a 21-field header */
#define BIG_MAX 32       /* big integers are at most 256 bits (uint256) */

typedef struct {
    const uint8_t *raw; /* the whole item, head included */
    size_t rawn;
    const uint8_t *p; /* payload */
    size_t n;
    bool list;
} rlp_item;

static int eth_fail_at(const char *what, const char *msg) {
    return ac_failf(AC_ERR_INVALID, "%s: %s", what, msg);
}

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
    it->raw = p;
    uint8_t b = *p++;
    size_t len;
    it->list = b >= 0xc0;
    if (b < 0x80) {
        it->p = p - 1;
        it->n = 1;
        it->rawn = 1;
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
    it->rawn = (size_t)(*pp - it->raw);
    return AC_OK;
}

/* The whole of [in, in+n) is exactly one item. */
static int rlp_one(const uint8_t *in, size_t n, rlp_item *it) {
    const uint8_t *p = in, *end = in + n;
    AC_TRY(rlp_next(&p, end, it));
    if (p != end) return ac_failf(AC_ERR_INVALID, "rlp: %zu trailing bytes", (size_t)(end - p));
    return AC_OK;
}

/* Split a list item into exactly `want` items (want == 0: any count up to max). */
static int rlp_fields(const rlp_item *list, rlp_item *items, size_t max, size_t *count, const char *what) {
    if (!list->list) return eth_fail_at(what, "not an RLP list");
    const uint8_t *q = list->p, *end = list->p + list->n;
    size_t c = 0;
    while (q < end) {
        if (c == max) return ac_failf(AC_ERR_INVALID, "%s: more than %zu list items", what, max);
        AC_TRY(rlp_next(&q, end, &items[c]));
        c++;
    }
    *count = c;
    return AC_OK;
}

/* Count the items of a list (validating each). */
static int rlp_count(const rlp_item *list, size_t *count) {
    const uint8_t *q = list->p, *end = list->p + list->n;
    size_t c = 0;
    rlp_item it;
    while (q < end) {
        AC_TRY(rlp_next(&q, end, &it));
        c++;
    }
    *count = c;
    return AC_OK;
}

static int rlp_want_str(const rlp_item *it, const char *what) {
    if (it->list) return eth_fail_at(what, "is a list, expected a byte string");
    return AC_OK;
}

/* A canonical RLP integer (no leading zero) of at most maxbytes bytes. */
static int rlp_int(const rlp_item *it, size_t maxbytes, const char *what) {
    AC_TRY(rlp_want_str(it, what));
    if (it->n && it->p[0] == 0) return eth_fail_at(what, "integer has leading zero bytes");
    if (it->n > maxbytes) return ac_failf(AC_ERR_INVALID, "%s: integer wider than %zu bits", what, maxbytes * 8);
    return AC_OK;
}

static int rlp_fixed(const rlp_item *it, size_t size, const char *what) {
    AC_TRY(rlp_want_str(it, what));
    if (it->n != size) return ac_failf(AC_ERR_INVALID, "%s: %zu bytes, expected %zu", what, it->n, size);
    return AC_OK;
}

/* ---- RLP writer -------------------------------------------------------------------------- */

static size_t be_len(uint64_t u) {
    size_t n = 0;
    while (u) {
        n++;
        u >>= 8;
    }
    return n;
}

static void rlpw_head(ac_buf *out, uint8_t short_base, size_t n) {
    if (n <= 55) {
        ac_buf_byte(out, (uint8_t)(short_base + n));
        return;
    }
    size_t ll = be_len(n);
    ac_buf_byte(out, (uint8_t)(short_base + 55 + ll));
    for (size_t i = ll; i-- > 0;) ac_buf_byte(out, (uint8_t)(n >> (8 * i)));
}

static void rlpw_str(ac_buf *out, const uint8_t *p, size_t n) {
    if (!(n == 1 && p[0] < 0x80)) rlpw_head(out, 0x80, n);
    ac_buf_put(out, p, n);
}

/* A list whose payload is the bytes of `payload`. */
static void rlpw_list(ac_buf *out, const ac_buf *payload) {
    rlpw_head(out, 0xc0, payload->len);
    ac_buf_put(out, payload->data, payload->len);
}

/* ---- keccak-256 (Keccak[r=1088, c=512], original padding 0x01; the Keccak reference v3.0) ---- */

#include "keccak_f1600.h"

static void keccak256(const uint8_t *p, size_t n, uint8_t out[32]) {
    uint64_t s[25];
    uint8_t block[136];
    memset(s, 0, sizeof s);
    for (;;) {
        size_t take = n < 136 ? n : 136;
        memset(block, 0, sizeof block);
        memcpy(block, p, take);
        if (take < 136) {
            block[take] ^= 0x01;
            block[135] ^= 0x80;
        }
        for (int i = 0; i < 17; i++) s[i] ^= ac_le64(block + 8 * i);
        keccak_f1600(s);
        if (take < 136) break;
        p += 136;
        n -= 136;
    }
    for (int i = 0; i < 4; i++) ac_put_le64(out + 8 * i, s[i]);
}

/* ---- Merkle-Patricia trie root of (key, value) pairs (yellow paper appendix D) ----------- */

typedef struct {
    const uint8_t *key; /* key bytes; nibble i is key[i/2] >> 4 or & 15 */
    size_t keyn;
    const uint8_t *val; /* the value stored in the leaf (not re-encoded) */
    size_t valn;
} mpt_kv;

static unsigned nib(const mpt_kv *kv, size_t i) {
    uint8_t b = kv->key[i / 2];
    return (i & 1) ? (b & 15u) : (b >> 4);
}

/* Compact (hex-prefix) encoding of nibbles [from, to) of kv's key. */
static void hex_prefix(ac_buf *out, const mpt_kv *kv, size_t from, size_t to, bool leaf) {
    size_t len = to - from;
    uint8_t tmp[1 + 64];
    size_t k = 0;
    uint8_t flag = (uint8_t)((leaf ? 2 : 0) + (len & 1));
    size_t i = from;
    if (len & 1) {
        tmp[k++] = (uint8_t)((unsigned)flag << 4 | nib(kv, i));
        i++;
    } else {
        tmp[k++] = (uint8_t)(flag << 4);
    }
    for (; i < to; i += 2) tmp[k++] = (uint8_t)(nib(kv, i) << 4 | nib(kv, i + 1));
    rlpw_str(out, tmp, k);
}

static int mpt_node(ac_buf *out, const mpt_kv *kv, size_t n, size_t depth, int level);

/* Append the reference to a node: the node itself when its RLP is under 32 bytes, else the
 * RLP string of its keccak-256. */
static int mpt_ref(ac_buf *out, const mpt_kv *kv, size_t n, size_t depth, int level) {
    ac_buf node;
    ac_buf_init(&node);
    AC_TRY(mpt_node(&node, kv, n, depth, level));
    if (node.err) return node.err;
    if (node.len < 32) return ac_buf_put(out, node.data, node.len);
    uint8_t h[32];
    keccak256(node.data, node.len, h);
    rlpw_str(out, h, 32);
    return out->err;
}

/* RLP of the node holding kv[0..n) (sorted by key, distinct, n >= 1) below `depth` nibbles. */
static int mpt_node(ac_buf *out, const mpt_kv *kv, size_t n, size_t depth, int level) {
    if (level > 130) return ac_fail(AC_ERR_INTERNAL, "trie deeper than its keys");
    ac_buf pl;
    ac_buf_init(&pl);
    size_t len0 = kv[0].keyn * 2;
    if (n == 1) {
        hex_prefix(&pl, &kv[0], depth, len0, true);
        rlpw_str(&pl, kv[0].val, kv[0].valn);
    } else {
        size_t lenl = kv[n - 1].keyn * 2, cp = depth;
        while (cp < len0 && cp < lenl && nib(&kv[0], cp) == nib(&kv[n - 1], cp)) cp++;
        if (cp > depth) {
            hex_prefix(&pl, &kv[0], depth, cp, false);
            AC_TRY(mpt_ref(&pl, kv, n, cp, level + 1));
        } else {
            size_t i = 0;
            const mpt_kv *value = 0;
            if (len0 == depth) value = &kv[i++];
            for (unsigned c = 0; c < 16; c++) {
                size_t j = i;
                while (j < n && nib(&kv[j], depth) == c) j++;
                if (j == i) {
                    ac_buf_byte(&pl, 0x80);
                } else {
                    AC_TRY(mpt_ref(&pl, kv + i, j - i, depth + 1, level + 1));
                }
                i = j;
            }
            if (value) rlpw_str(&pl, value->val, value->valn);
            else ac_buf_byte(&pl, 0x80);
        }
    }
    if (pl.err) return pl.err;
    rlpw_list(out, &pl);
    return out->err;
}

static int mpt_key_cmp(const mpt_kv *a, const mpt_kv *b) {
    size_t m = a->keyn < b->keyn ? a->keyn : b->keyn;
    int c = memcmp(a->key, b->key, m);
    if (c) return c;
    return a->keyn < b->keyn ? -1 : a->keyn > b->keyn;
}

/* Root hash of the trie of kv[0..n) (sorted here; keys must be distinct). */
static int mpt_root(mpt_kv *kv, size_t n, uint8_t root[32]) {
    if (n == 0) {
        const uint8_t empty = 0x80;
        keccak256(&empty, 1, root);
        return AC_OK;
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort: keys arrive almost sorted */
        mpt_kv t = kv[i];
        size_t j = i;
        while (j > 0 && mpt_key_cmp(&kv[j - 1], &t) > 0) {
            kv[j] = kv[j - 1];
            j--;
        }
        kv[j] = t;
    }
    ac_buf node;
    ac_buf_init(&node);
    AC_TRY(mpt_node(&node, kv, n, 0, 0));
    if (node.err) return node.err;
    keccak256(node.data, node.len, root);
    return AC_OK;
}

#endif
