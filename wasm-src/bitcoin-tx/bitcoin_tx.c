/*
 * bitcoin-tx codec module (multicodec 0xb1), autocodec ABI v1.
 *
 * A bitcoin-tx block is either a transaction in Bitcoin's wire form (with or without the
 * BIP 144 witness) or a 64-byte node of a block's binary merkle tree (left digest || right
 * digest).  Its CID is CIDv1(bitcoin-tx, dbl-sha2-256 of the bytes): for a transaction without
 * witness that is the txid, for one with witness the wtxid, for a merkle node the node's hash.
 *
 * Data model: the one @ipld/bitcoin (github.com/ipld/js-bitcoin, src/bitcoin-tx.js) gives, i.e.
 * the Bitcoin Core RPC porcelain of the transaction from the bitcoin-block library plus links;
 * written down in bitcoin-tx.ipldsch beside this file:
 *   transaction: {txid, hash, version, size, vsize, weight, locktime, vin, vout, hex
 *                 [, witnessCommitment &bitcoin-witness-commitment (coinbase with a commitment)]}
 *     vin[i]:  {coinbase, sequence[, txinwitness]} for the coinbase input, otherwise
 *              {txid, vout, scriptSig: {asm, hex}, sequence, tx &bitcoin-tx[, txinwitness]}
 *     vout[n]: {value (BTC: Int when whole, else Float), n, scriptPubKey: {asm, hex, type
 *              [, reqSigs, addresses]}}
 *   merkle node: [&bitcoin-tx | null, &bitcoin-tx]  (null: the all-zero coinbase slot of the
 *                witness merkle tree)
 * Which one a block is follows the reference: 64 bytes whose first half is zero, or that parse as
 * a transaction with no inputs or no outputs, or that do not parse, are a merkle node.
 *
 * Invariants: decode is strict (every length checked, compact sizes canonical, all bytes used);
 * encode accepts exactly what decode produces (the "hex" field is the source of the bytes and the
 * rest must be its decode), so encode(decode(b)) == b and decode(encode(v)) == v.
 */
#include "ac.h"
#include "btc_hash.h"
#include "btc_common.h"
#include "script.h"

#define BITCOIN_TX 0xb1
#define BITCOIN_WC 0xb2

typedef struct { const uint8_t *p; size_t n; } span;
typedef struct {
    const uint8_t *prev; uint32_t prev_n;
    span script;
    uint32_t sequence;
    size_t nwit; span *wit;
} txin;
typedef struct { int64_t value; span script; } txout;
typedef struct {
    int32_t version;
    bool segwit;
    size_t nin, nout;
    txin *in;
    txout *out;
    uint32_t locktime;
    size_t size, stripped;
    uint8_t hash[32], txid[32];
} tx_t;

typedef struct { const uint8_t *p, *start, *end; } rd;

static int short_read(const rd *r) {
    return ac_failf(AC_ERR_INVALID, "bitcoin-tx: truncated at byte %zu", (size_t)(r->p - r->start));
}
static int need(const rd *r, size_t n) { return (size_t)(r->end - r->p) < n ? short_read(r) : AC_OK; }

static int rd_u32(rd *r, uint32_t *v) {
    AC_TRY(need(r, 4));
    *v = ac_le32(r->p);
    r->p += 4;
    return AC_OK;
}

/* Bitcoin's CompactSize, canonical (the shortest form), at most 32 bits (as the reference). */
static int rd_size(rd *r, size_t *v) {
    AC_TRY(need(r, 1));
    size_t at = (size_t)(r->p - r->start);
    uint8_t c = *r->p++;
    if (c < 253) { *v = c; return AC_OK; }
    if (c == 253) {
        AC_TRY(need(r, 2));
        *v = (size_t)r->p[0] | (size_t)r->p[1] << 8;
        r->p += 2;
        if (*v < 253) return ac_failf(AC_ERR_INVALID, "bitcoin-tx: non-canonical size at byte %zu", at);
        return AC_OK;
    }
    if (c == 254) {
        AC_TRY(need(r, 4));
        *v = ac_le32(r->p);
        r->p += 4;
        if (*v < 0x10000) return ac_failf(AC_ERR_INVALID, "bitcoin-tx: non-canonical size at byte %zu", at);
        return AC_OK;
    }
    return ac_failf(AC_ERR_INVALID, "bitcoin-tx: size at byte %zu is too large", at);
}

static int rd_slice(rd *r, span *s) {
    size_t n;
    AC_TRY(rd_size(r, &n));
    AC_TRY(need(r, n));
    s->p = r->p; s->n = n;
    r->p += n;
    return AC_OK;
}

/* A count of items each at least `min` bytes long: bounded by the bytes left. */
static int rd_count(rd *r, size_t min, size_t *n) {
    AC_TRY(rd_size(r, n));
    if (*n > (size_t)(r->end - r->p) / min) return short_read(r);
    return AC_OK;
}

static int parse_tx(const uint8_t *in, size_t n, tx_t *t) {
    rd r = {in, in, in + n};
    uint32_t u;
    AC_TRY(rd_u32(&r, &u));
    t->version = (int32_t)u;
    t->segwit = n - 4 >= 2 && in[4] == 0x00 && in[5] == 0x01;
    if (t->segwit) r.p += 2;
    const uint8_t *body = r.p;
    AC_TRY(rd_count(&r, 41, &t->nin));
    t->in = ac_calloc(t->nin * sizeof(txin) + 1);
    if (!t->in) return ac_fail(AC_ERR_NOMEM, "bitcoin-tx: out of memory");
    for (size_t i = 0; i < t->nin; i++) {
        txin *x = &t->in[i];
        AC_TRY(need(&r, 32));
        x->prev = r.p;
        r.p += 32;
        AC_TRY(rd_u32(&r, &x->prev_n));
        AC_TRY(rd_slice(&r, &x->script));
        AC_TRY(rd_u32(&r, &x->sequence));
    }
    AC_TRY(rd_count(&r, 9, &t->nout));
    t->out = ac_calloc(t->nout * sizeof(txout) + 1);
    if (!t->out) return ac_fail(AC_ERR_NOMEM, "bitcoin-tx: out of memory");
    for (size_t i = 0; i < t->nout; i++) {
        AC_TRY(need(&r, 8));
        t->out[i].value = (int64_t)ac_le64(r.p);
        r.p += 8;
        AC_TRY(rd_slice(&r, &t->out[i].script));
    }
    const uint8_t *body_end = r.p;
    if (t->segwit) {
        for (size_t i = 0; i < t->nin; i++) {
            txin *x = &t->in[i];
            AC_TRY(rd_count(&r, 1, &x->nwit));
            x->wit = ac_alloc(x->nwit * sizeof(span) + 1);
            if (!x->wit) return ac_fail(AC_ERR_NOMEM, "bitcoin-tx: out of memory");
            for (size_t k = 0; k < x->nwit; k++) AC_TRY(rd_slice(&r, &x->wit[k]));
        }
    }
    AC_TRY(rd_u32(&r, &t->locktime));
    if (r.p != r.end)
        return ac_failf(AC_ERR_INVALID, "bitcoin-tx: %zu bytes after the transaction", (size_t)(r.end - r.p));
    t->size = n;
    btc_dbl_sha256(in, n, t->hash);
    if (t->segwit) {
        /* txid: the transaction without marker, flag and witness */
        btc_sha256 c;
        uint8_t first[32];
        btc_sha256_init(&c);
        btc_sha256_update(&c, in, 4);
        btc_sha256_update(&c, body, (size_t)(body_end - body));
        btc_sha256_update(&c, in + n - 4, 4);
        btc_sha256_final(&c, first);
        btc_sha256_init(&c);
        btc_sha256_update(&c, first, 32);
        btc_sha256_final(&c, t->txid);
        t->stripped = 8 + (size_t)(body_end - body);
    } else {
        memcpy(t->txid, t->hash, 32);
        t->stripped = n;
    }
    return AC_OK;
}

static int write_hex(ac_buf *out, const uint8_t *p, size_t n) {
    acw_head(out, 3, (uint64_t)n * 2);
    return ac_buf_hex(out, p, n);
}

/* A JavaScript number as @ipld/dag-cbor writes it: Int when integral and safe, else Float. */
static int write_number(ac_buf *out, double v) {
    const double safe = 9007199254740991.0;
    if (v >= -safe && v <= safe && v == (double)(int64_t)v) return acw_int(out, (int64_t)v); /* range first */
    return acw_float64(out, v);
}

static bool is_coinbase(const tx_t *t) { return t->nin == 1 && all_zero(t->in[0].prev, 32); }

/* The witness commitment of a coinbase: the last output whose script is at least 38 bytes and
   starts 6a 24 aa 21 a9 ed; its next 32 bytes.  NULL if none. */
static const uint8_t *witness_commitment(const tx_t *t) {
    static const uint8_t MAGIC[6] = {0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed};
    const uint8_t *found = 0;
    for (size_t i = 0; i < t->nout; i++) {
        const span *s = &t->out[i].script;
        if (s->n >= 38 && memcmp(s->p, MAGIC, 6) == 0) found = s->p + 6;
    }
    return found;
}

static int write_witness(ac_buf *out, const txin *x) {
    acw_cstr(out, "txinwitness");
    acw_array(out, x->nwit);
    for (size_t k = 0; k < x->nwit; k++) write_hex(out, x->wit[k].p, x->wit[k].n);
    return out->err;
}

static int write_tx(ac_buf *out, const uint8_t *in, size_t n, const tx_t *t) {
    bool coinbase = is_coinbase(t);
    const uint8_t *wc = coinbase ? witness_commitment(t) : 0;
    size_t weight = t->stripped * 3 + t->size;
    acw_map(out, wc ? 11 : 10);
    acw_cstr(out, "hex");
    write_hex(out, in, n);
    acw_cstr(out, "vin");
    acw_array(out, t->nin);
    for (size_t i = 0; i < t->nin; i++) {
        const txin *x = &t->in[i];
        bool wit = x->nwit > 0;
        if (coinbase) {
            acw_map(out, wit ? 3 : 2);
            acw_cstr(out, "coinbase");
            write_hex(out, x->script.p, x->script.n);
            acw_cstr(out, "sequence");
            acw_uint(out, x->sequence);
            if (wit) write_witness(out, x);
            continue;
        }
        acw_map(out, wit ? 6 : 5);
        acw_cstr(out, "tx");
        write_link(out, BITCOIN_TX, x->prev);
        acw_cstr(out, "txid");
        write_hash_hex(out, x->prev);
        acw_cstr(out, "vout");
        acw_uint(out, x->prev_n);
        acw_cstr(out, "sequence");
        acw_uint(out, x->sequence);
        acw_cstr(out, "scriptSig");
        acw_map(out, 2);
        acw_cstr(out, "asm");
        size_t at = btc_text_begin(out);
        btc_script_asm(out, x->script.p, x->script.n, true);
        btc_text_end(out, at);
        acw_cstr(out, "hex");
        write_hex(out, x->script.p, x->script.n);
        if (wit) write_witness(out, x);
    }
    acw_cstr(out, "hash");
    write_hash_hex(out, t->hash);
    acw_cstr(out, "size");
    acw_uint(out, t->size);
    acw_cstr(out, "txid");
    write_hash_hex(out, t->txid);
    acw_cstr(out, "vout");
    acw_array(out, t->nout);
    for (size_t i = 0; i < t->nout; i++) {
        acw_map(out, 3);
        acw_cstr(out, "n");
        acw_uint(out, i);
        acw_cstr(out, "value");
        write_number(out, (double)t->out[i].value / 100000000.0);
        acw_cstr(out, "scriptPubKey");
        btc_write_script_pubkey(out, t->out[i].script.p, t->out[i].script.n);
    }
    acw_cstr(out, "vsize");
    acw_uint(out, (weight + 3) / 4);
    acw_cstr(out, "weight");
    acw_uint(out, weight);
    acw_cstr(out, "version");
    acw_int(out, t->version);
    acw_cstr(out, "locktime");
    acw_uint(out, t->locktime);
    if (wc) {
        acw_cstr(out, "witnessCommitment");
        write_link(out, BITCOIN_WC, wc);
    }
    return out->err;
}

static int write_merkle(ac_buf *out, const uint8_t *in) {
    acw_array(out, 2);
    if (all_zero(in, 32)) acw_null(out);
    else write_link(out, BITCOIN_TX, in);
    write_link(out, BITCOIN_TX, in + 32);
    return out->err;
}

static int tx_decode(const uint8_t *in, size_t n, ac_buf *out) {
    if (n != 64 || !all_zero(in, 32)) {
        tx_t t;
        uintptr_t mark = ac_mark();
        int st = parse_tx(in, n, &t);
        if (st == AC_OK && !(n == 64 && (t.nin == 0 || t.nout == 0))) return write_tx(out, in, n, &t);
        if (n != 64) return st ? st : ac_fail(AC_ERR_INVALID, "bitcoin-tx: a transaction has inputs and outputs");
        ac_release(mark);
        ac_set_result(0, 0);
    }
    return write_merkle(out, in);
}

typedef struct { ac_buf *out; } links_ctx;
static int on_link(void *ctx, const uint8_t *cid, size_t n) {
    links_ctx *c = ctx;
    return acw_cid(c->out, cid, n);
}

static size_t count_links;
static int count_link(void *ctx, const uint8_t *cid, size_t n) {
    (void)ctx; (void)cid; (void)n;
    count_links++;
    return AC_OK;
}

static int tx_links(const uint8_t *in, size_t n, ac_buf *out) {
    ac_buf tmp;
    ac_buf_init(&tmp);
    AC_TRY(tx_decode(in, n, &tmp));
    acr r;
    acr_init(&r, tmp.data, tmp.len);
    count_links = 0;
    AC_TRY(acr_walk(&r, count_link, 0));
    acw_array(out, count_links);
    acr_init(&r, tmp.data, tmp.len);
    links_ctx c = {out};
    AC_TRY(acr_walk(&r, on_link, &c));
    return out->err;
}

static int read_tx_link(acr *r, uint8_t digest[32], bool *null) {
    const uint8_t *cid;
    size_t n;
    *null = acr_try_null(r);
    if (*null) return AC_OK;
    AC_TRY(acr_cid(r, &cid, &n));
    if (n != 37 || cid[0] != 0x01 || cid[1] != 0xb1 || cid[2] != 0x01 || cid[3] != DBL_SHA2_256 || cid[4] != 32)
        return ac_fail(AC_ERR_INVALID, "bitcoin-tx: a merkle node links bitcoin-tx CIDs with a dbl-sha2-256 digest");
    memcpy(digest, cid + 5, 32);
    return AC_OK;
}

static int tx_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    size_t bytes_len;
    uint8_t *bytes;
    if (acr_peek(&r) == ACR_ARRAY) {
        size_t items;
        bool null_left, null_right;
        AC_TRY(acr_array(&r, &items));
        if (items != 2) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: a merkle node is a list of two links");
        bytes = ac_alloc(64);
        if (!bytes) return ac_fail(AC_ERR_NOMEM, "bitcoin-tx: out of memory");
        memset(bytes, 0, 64);
        AC_TRY(read_tx_link(&r, bytes, &null_left));
        AC_TRY(read_tx_link(&r, bytes + 32, &null_right));
        if (null_right) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: the right link of a merkle node is not null");
        AC_TRY(acr_finish(&r));
        bytes_len = 64;
    } else {
        acr val;
        bool found;
        const char *hex;
        size_t hn;
        if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: expected a transaction map or a merkle node list");
        AC_TRY(acr_find(&r, "hex", &val, &found));
        if (!found) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: a transaction needs its \"hex\"");
        AC_TRY(acr_text(&val, &hex, &hn));
        if (hn % 2) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: \"hex\" has an odd length");
        bytes_len = hn / 2;
        bytes = ac_alloc(bytes_len + 1);
        if (!bytes) return ac_fail(AC_ERR_NOMEM, "bitcoin-tx: out of memory");
        if (ac_hex_decode(hex, hn, bytes)) return ac_fail(AC_ERR_INVALID, "bitcoin-tx: \"hex\" is not hexadecimal");
    }
    /* the value must be exactly the decode of these bytes */
    ac_buf check;
    ac_buf_init(&check);
    int st = tx_decode(bytes, bytes_len, &check);
    if (st) return st;
    if (check.len != n || memcmp(check.data, in, n) != 0)
        return ac_fail(AC_ERR_INVALID,
                       "bitcoin-tx: the value is not the data model of its bytes (fields disagree with \"hex\")");
    return ac_buf_put(out, bytes, bytes_len);
}

AC_EXPORT_CODEC(tx_decode, tx_encode, tx_links)
