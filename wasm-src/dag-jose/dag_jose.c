/*
 * dag-jose codec module (multicodec 0x85), autocodec ABI v1.
 *
 * Block bytes: DAG-CBOR of a JOSE object in general serialization with every base64url field as
 * Bytes (the IPLD DAG-JOSE spec, ipld/ipld specs/codecs/dag-jose/spec.md, "Encoded JOSE"):
 *   JWS {payload: Bytes, signatures?: [{header?: {String: Any}, protected?: Bytes, signature: Bytes}]}
 *   JWE {ciphertext: Bytes, iv?, protected?, tag?, aad?: Bytes,
 *        recipients?: [{encrypted_key?: Bytes, header?: {String: Any}}], unprotected?: {String: Any}}
 * (the optional fields are Kubo's, go-dag-jose in Kubo 0.43.1: it decodes a JWS without
 * signatures and a JWE with only a ciphertext, and shows just the fields present; the spec's
 * Encoded JWE has iv, protected and tag optional too).
 *
 * Data model: the "Decoded JOSE" of the spec as Kubo (go-dag-jose) and the npm dag-jose codec
 * give it: every Bytes field as an unpadded base64url String, header/unprotected values
 * unchanged, and for a JWS whose payload is a CID a `link` to it.  See dag-jose.ipldsch.
 *
 * Where the two references differ, Kubo's rules are followed: a key outside the JWS or JWE key
 * set or keys of both sets, a null, boolean or link anywhere in a header or unprotected value,
 * and a payload that is not a CID are refused (npm dag-jose ignores the keys, keeps the values,
 * parses a JSON payload into `pld`); a falsy header (0, "") is kept (npm drops it).  Beyond both:
 * map keys out of DAG-CBOR order, text that is not UTF-8 and a CID payload with non-minimal
 * varints or an explicit version 0 are refused (not strict DAG-CBOR / not canonical).
 *
 * Invariants: decode accepts only strict DAG-CBOR in the spec's form; encode accepts exactly what
 * decode produces (it rebuilds the wire form and checks that decoding it gives the value back), so
 * encode(decode(b)) == b and decode(encode(v)) == v.
 */
#include "ac.h"

typedef struct { const uint8_t *p; size_t n; bool set; } field;

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_text(ac_buf *out, const uint8_t *p, size_t n) {
    size_t len = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    acw_head(out, 3, len);
    uint8_t *o = ac_buf_extend(out, len);
    if (!o) return out->err;
    size_t i = 0, k = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        o[k++] = (uint8_t)B64URL[v >> 18]; o[k++] = (uint8_t)B64URL[(v >> 12) & 63];
        o[k++] = (uint8_t)B64URL[(v >> 6) & 63]; o[k++] = (uint8_t)B64URL[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        o[k++] = (uint8_t)B64URL[v >> 18]; o[k++] = (uint8_t)B64URL[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        o[k++] = (uint8_t)B64URL[v >> 18]; o[k++] = (uint8_t)B64URL[(v >> 12) & 63];
        o[k++] = (uint8_t)B64URL[(v >> 6) & 63];
    }
    return AC_OK;
}

/* Strict unpadded base64url into out (as a DAG-CBOR byte string). */
static int b64_bytes(ac_buf *out, const char *s, size_t n, const char *what) {
    if (n % 4 == 1) return ac_failf(AC_ERR_INVALID, "dag-jose: %s is not unpadded base64url", what);
    size_t len = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    acw_head(out, 2, len);
    uint8_t *o = ac_buf_extend(out, len);
    if (!o) return out->err;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
              : c == '-' ? 62 : c == '_' ? 63 : -1;
        if (v < 0) return ac_failf(AC_ERR_INVALID, "dag-jose: %s is not unpadded base64url", what);
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) { bits -= 8; o[k++] = (uint8_t)(acc >> bits); }
    }
    if (acc & ((1u << bits) - 1)) return ac_failf(AC_ERR_INVALID, "dag-jose: %s has non-zero trailing bits", what);
    return AC_OK;
}

/* ---- reading the wire form --------------------------------------------------------------- */

/* Read a map's keys in DAG-CBOR order; each key must be one of names[]; fields[i] gets the span
 * of its value (validated, any kind). */
static int read_map(acr *r, const char *const *names, size_t nnames, field *fields, const char *what) {
    size_t pairs;
    const char *prev = 0;
    size_t prevn = 0;
    AC_TRY(acr_map(r, &pairs));
    for (size_t i = 0; i < nnames; i++) fields[i].set = false;
    for (size_t i = 0; i < pairs; i++) {
        const char *k;
        size_t kn, j;
        AC_TRY(acr_text(r, &k, &kn));
        if (prev && ac_key_cmp(prev, prevn, k, kn) >= 0)
            return ac_failf(AC_ERR_INVALID, "dag-jose: %s keys are not in DAG-CBOR order", what);
        prev = k; prevn = kn;
        for (j = 0; j < nnames; j++)
            if (ac_strlen(names[j]) == kn && memcmp(names[j], k, kn) == 0) break;
        if (j == nnames) return ac_failf(AC_ERR_INVALID, "dag-jose: %s has an unknown key \"%.*s\"", what, (int)kn, k);
        fields[j].p = r->p;
        AC_TRY(acr_skip(r));
        fields[j].n = (size_t)(r->p - fields[j].p);
        fields[j].set = true;
    }
    return AC_OK;
}

static int field_bytes(const field *f, const char *name, const uint8_t **p, size_t *n) {
    acr r;
    acr_init(&r, f->p, f->n);
    if (acr_peek(&r) != ACR_BYTES) return ac_failf(AC_ERR_INVALID, "dag-jose: %s must be Bytes", name);
    return acr_bytes(&r, p, n);
}

static int field_kind(const field *f, int kind, const char *name, const char *kind_name) {
    acr r;
    acr_init(&r, f->p, f->n);
    if (acr_peek(&r) != kind) return ac_failf(AC_ERR_INVALID, "dag-jose: %s must be a %s", name, kind_name);
    return AC_OK;
}

/* Kubo's dag-jose (go-dag-jose) types header and unprotected as its `Any`: Int, Float, String,
 * Bytes, List and Map at any depth, but no null, boolean or link (it refuses such blocks). */
static int any_ok(const field *f, const char *name) {
    acr r;
    acr_init(&r, f->p, f->n);
    while (!acr_done(&r)) {
        uint8_t ib = *r.p;
        unsigned m;
        uint64_t a;
        AC_TRY(acr_head(&r, &m, &a));
        if (m == 2 || m == 3) r.p += a; /* the span was validated whole */
        else if (m == 6) return ac_failf(AC_ERR_INVALID, "dag-jose: %s must not hold a link (Kubo's dag-jose Any)", name);
        else if (m == 7 && (ib & 31) != 27)
            return ac_failf(AC_ERR_INVALID, "dag-jose: %s must not hold null or a boolean (Kubo's dag-jose Any)", name);
    }
    return AC_OK;
}

static int put_b64(ac_buf *out, const field *f, const char *name) {
    const uint8_t *p;
    size_t n;
    AC_TRY(field_bytes(f, name, &p, &n));
    return b64_text(out, p, n);
}

/* A binary CID as the reference's CID.decode takes it (minimal varints here, see above). */
static bool is_cid(const uint8_t *p, size_t n) {
    return n > 0 && (p[0] == 0x01 || (p[0] == 0x12 && n == 34)) && ac_cid_check(p, n) == AC_OK;
}

enum { JWS_PAYLOAD, JWS_SIGNATURES, JWS_N };
static const char *const JWS_KEYS[] = {"payload", "signatures"};
enum { SIG_HEADER, SIG_PROTECTED, SIG_SIGNATURE, SIG_N };
static const char *const SIG_KEYS[] = {"header", "protected", "signature"};
enum { JWE_AAD, JWE_CIPHERTEXT, JWE_IV, JWE_PROTECTED, JWE_RECIPIENTS, JWE_TAG, JWE_UNPROTECTED, JWE_N };
static const char *const JWE_KEYS[] = {"aad", "ciphertext", "iv", "protected", "recipients", "tag", "unprotected"};
enum { REC_ENCRYPTED_KEY, REC_HEADER, REC_N };
static const char *const REC_KEYS[] = {"encrypted_key", "header"};

static int decode_jws(const field *f, ac_buf *out) {
    const uint8_t *payload;
    size_t pn, count;
    if (!f[JWS_PAYLOAD].set) return ac_fail(AC_ERR_INVALID, "dag-jose: a JWS has a payload");
    AC_TRY(field_bytes(&f[JWS_PAYLOAD], "payload", &payload, &pn));
    if (f[JWS_SIGNATURES].set) AC_TRY(field_kind(&f[JWS_SIGNATURES], ACR_ARRAY, "signatures", "list"));
    if (!is_cid(payload, pn))
        return ac_fail(AC_ERR_INVALID,
                       "dag-jose: the JWS payload is not a CID (the spec requires one; as Kubo, JSON payloads are refused)");
    acw_map(out, 2 + (size_t)f[JWS_SIGNATURES].set);
    acw_cstr(out, "link");
    acw_cid(out, payload, pn);
    acw_cstr(out, "payload");
    b64_text(out, payload, pn);
    if (!f[JWS_SIGNATURES].set) return out->err;
    acw_cstr(out, "signatures");
    acr r;
    acr_init(&r, f[JWS_SIGNATURES].p, f[JWS_SIGNATURES].n);
    AC_TRY(acr_array(&r, &count));
    acw_array(out, count);
    for (size_t i = 0; i < count; i++) {
        field s[SIG_N];
        if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: a signature is a map");
        AC_TRY(read_map(&r, SIG_KEYS, SIG_N, s, "a signature"));
        if (!s[SIG_SIGNATURE].set) return ac_fail(AC_ERR_INVALID, "dag-jose: a signature has a signature");
        acw_map(out, 1 + s[SIG_HEADER].set + s[SIG_PROTECTED].set);
        if (s[SIG_HEADER].set) {
            AC_TRY(any_ok(&s[SIG_HEADER], "header"));
            acw_cstr(out, "header");
            ac_buf_put(out, s[SIG_HEADER].p, s[SIG_HEADER].n);
        }
        if (s[SIG_PROTECTED].set) {
            acw_cstr(out, "protected");
            AC_TRY(put_b64(out, &s[SIG_PROTECTED], "protected"));
        }
        acw_cstr(out, "signature");
        AC_TRY(put_b64(out, &s[SIG_SIGNATURE], "signature"));
    }
    return out->err;
}

static int decode_jwe(const field *f, ac_buf *out) {
    static const int BYTES[] = {JWE_CIPHERTEXT, JWE_IV, JWE_PROTECTED, JWE_TAG};
    if (!f[JWE_CIPHERTEXT].set)
        return ac_fail(AC_ERR_INVALID, "dag-jose: neither a JWS (it has a payload) nor a JWE (it has a ciphertext)");
    for (size_t i = 0; i < 4; i++) {
        const uint8_t *p;
        size_t n;
        if (f[BYTES[i]].set) AC_TRY(field_bytes(&f[BYTES[i]], JWE_KEYS[BYTES[i]], &p, &n));
    }
    if (f[JWE_RECIPIENTS].set) AC_TRY(field_kind(&f[JWE_RECIPIENTS], ACR_ARRAY, "recipients", "list"));
    if (f[JWE_UNPROTECTED].set) AC_TRY(any_ok(&f[JWE_UNPROTECTED], "unprotected"));
    acw_map(out, 1 + (size_t)f[JWE_IV].set + f[JWE_AAD].set + f[JWE_TAG].set + f[JWE_PROTECTED].set
                 + f[JWE_RECIPIENTS].set + f[JWE_UNPROTECTED].set);
    if (f[JWE_IV].set) {
        acw_cstr(out, "iv");
        AC_TRY(put_b64(out, &f[JWE_IV], "iv"));
    }
    if (f[JWE_AAD].set) {
        acw_cstr(out, "aad");
        AC_TRY(put_b64(out, &f[JWE_AAD], "aad"));
    }
    if (f[JWE_TAG].set) {
        acw_cstr(out, "tag");
        AC_TRY(put_b64(out, &f[JWE_TAG], "tag"));
    }
    if (f[JWE_PROTECTED].set) {
        acw_cstr(out, "protected");
        AC_TRY(put_b64(out, &f[JWE_PROTECTED], "protected"));
    }
    acw_cstr(out, "ciphertext");
    put_b64(out, &f[JWE_CIPHERTEXT], "ciphertext");
    if (f[JWE_RECIPIENTS].set) {
        size_t count;
        acr r;
        acr_init(&r, f[JWE_RECIPIENTS].p, f[JWE_RECIPIENTS].n);
        AC_TRY(acr_array(&r, &count));
        acw_cstr(out, "recipients");
        acw_array(out, count);
        for (size_t i = 0; i < count; i++) {
            field rc[REC_N];
            if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: a recipient is a map");
            AC_TRY(read_map(&r, REC_KEYS, REC_N, rc, "a recipient"));
            acw_map(out, (size_t)rc[REC_HEADER].set + rc[REC_ENCRYPTED_KEY].set);
            if (rc[REC_HEADER].set) {
                AC_TRY(any_ok(&rc[REC_HEADER], "header"));
                acw_cstr(out, "header");
                ac_buf_put(out, rc[REC_HEADER].p, rc[REC_HEADER].n);
            }
            if (rc[REC_ENCRYPTED_KEY].set) {
                acw_cstr(out, "encrypted_key");
                AC_TRY(put_b64(out, &rc[REC_ENCRYPTED_KEY], "encrypted_key"));
            }
        }
    }
    if (f[JWE_UNPROTECTED].set) {
        acw_cstr(out, "unprotected");
        ac_buf_put(out, f[JWE_UNPROTECTED].p, f[JWE_UNPROTECTED].n);
    }
    return out->err;
}

/* Which of the two key sets does the top-level map use?  Scans keys only. */
static int jose_decode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    size_t pairs;
    bool jws = false;
    acr_init(&r, in, n);
    if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: a block is a DAG-CBOR map");
    {
        acr scan = r;
        AC_TRY(acr_map(&scan, &pairs));
        for (size_t i = 0; i < pairs; i++) {
            const char *k;
            size_t kn;
            AC_TRY(acr_text(&scan, &k, &kn));
            if ((kn == 7 && memcmp(k, "payload", 7) == 0) || (kn == 10 && memcmp(k, "signatures", 10) == 0)) jws = true;
            AC_TRY(acr_skip(&scan));
        }
    }
    if (jws) {
        field f[JWS_N];
        AC_TRY(read_map(&r, JWS_KEYS, JWS_N, f, "a JWS"));
        AC_TRY(acr_finish(&r));
        return decode_jws(f, out);
    }
    field f[JWE_N];
    AC_TRY(read_map(&r, JWE_KEYS, JWE_N, f, "a JWE"));
    AC_TRY(acr_finish(&r));
    return decode_jwe(f, out);
}

static ac_buf *links_out;
static int on_link(void *ctx, const uint8_t *cid, size_t n) {
    (void)ctx;
    return acw_cid(links_out, cid, n);
}
static size_t links_count;
static int count_link(void *ctx, const uint8_t *cid, size_t n) {
    (void)ctx; (void)cid; (void)n;
    links_count++;
    return AC_OK;
}

static int jose_links(const uint8_t *in, size_t n, ac_buf *out) {
    ac_buf tmp;
    acr r;
    ac_buf_init(&tmp);
    AC_TRY(jose_decode(in, n, &tmp));
    acr_init(&r, tmp.data, tmp.len);
    links_count = 0;
    AC_TRY(acr_walk(&r, count_link, 0));
    acw_array(out, links_count);
    links_out = out;
    acr_init(&r, tmp.data, tmp.len);
    AC_TRY(acr_walk(&r, on_link, 0));
    return out->err;
}

/* ---- encode: decoded form -> wire form -------------------------------------------------- */

static int put_from_b64(ac_buf *out, const field *f, const char *name) {
    acr r;
    const char *s;
    size_t n;
    acr_init(&r, f->p, f->n);
    if (acr_peek(&r) != ACR_TEXT) return ac_failf(AC_ERR_INVALID, "dag-jose: %s must be a base64url String", name);
    AC_TRY(acr_text(&r, &s, &n));
    return b64_bytes(out, s, n, name);
}

enum { DJWS_LINK, DJWS_PAYLOAD, DJWS_SIGNATURES, DJWS_N };
static const char *const DJWS_KEYS[] = {"link", "payload", "signatures"};

static int encode_wire(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    if (acr_peek(&r) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: the value is a map");
    acr probe;
    bool found;
    AC_TRY(acr_find(&r, "payload", &probe, &found));
    if (found) {
        field f[DJWS_N];
        size_t count;
        AC_TRY(read_map(&r, DJWS_KEYS, DJWS_N, f, "a decoded JWS"));
        acw_map(out, 1 + (size_t)f[DJWS_SIGNATURES].set);
        acw_cstr(out, "payload");
        AC_TRY(put_from_b64(out, &f[DJWS_PAYLOAD], "payload"));
        if (!f[DJWS_SIGNATURES].set) return out->err;
        acw_cstr(out, "signatures");
        acr s;
        acr_init(&s, f[DJWS_SIGNATURES].p, f[DJWS_SIGNATURES].n);
        if (acr_peek(&s) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "dag-jose: signatures must be a list");
        AC_TRY(acr_array(&s, &count));
        acw_array(out, count);
        for (size_t i = 0; i < count; i++) {
            field g[SIG_N];
            if (acr_peek(&s) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: a signature is a map");
            AC_TRY(read_map(&s, SIG_KEYS, SIG_N, g, "a signature"));
            if (!g[SIG_SIGNATURE].set) return ac_fail(AC_ERR_INVALID, "dag-jose: a signature has a signature");
            acw_map(out, 1 + g[SIG_HEADER].set + g[SIG_PROTECTED].set);
            if (g[SIG_HEADER].set) { acw_cstr(out, "header"); ac_buf_put(out, g[SIG_HEADER].p, g[SIG_HEADER].n); }
            if (g[SIG_PROTECTED].set) { acw_cstr(out, "protected"); AC_TRY(put_from_b64(out, &g[SIG_PROTECTED], "protected")); }
            acw_cstr(out, "signature");
            AC_TRY(put_from_b64(out, &g[SIG_SIGNATURE], "signature"));
        }
        return out->err;
    }
    field f[JWE_N];
    AC_TRY(read_map(&r, JWE_KEYS, JWE_N, f, "a decoded JWE"));
    if (!f[JWE_CIPHERTEXT].set) return ac_fail(AC_ERR_INVALID, "dag-jose: a JWE has a ciphertext");
    acw_map(out, 1 + (size_t)f[JWE_IV].set + f[JWE_AAD].set + f[JWE_TAG].set + f[JWE_PROTECTED].set
                 + f[JWE_RECIPIENTS].set + f[JWE_UNPROTECTED].set);
    if (f[JWE_IV].set) { acw_cstr(out, "iv"); AC_TRY(put_from_b64(out, &f[JWE_IV], "iv")); }
    if (f[JWE_AAD].set) { acw_cstr(out, "aad"); AC_TRY(put_from_b64(out, &f[JWE_AAD], "aad")); }
    if (f[JWE_TAG].set) { acw_cstr(out, "tag"); AC_TRY(put_from_b64(out, &f[JWE_TAG], "tag")); }
    if (f[JWE_PROTECTED].set) { acw_cstr(out, "protected"); AC_TRY(put_from_b64(out, &f[JWE_PROTECTED], "protected")); }
    acw_cstr(out, "ciphertext");
    AC_TRY(put_from_b64(out, &f[JWE_CIPHERTEXT], "ciphertext"));
    if (f[JWE_RECIPIENTS].set) {
        size_t count;
        acr s;
        acr_init(&s, f[JWE_RECIPIENTS].p, f[JWE_RECIPIENTS].n);
        if (acr_peek(&s) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "dag-jose: recipients must be a list");
        AC_TRY(acr_array(&s, &count));
        acw_cstr(out, "recipients");
        acw_array(out, count);
        for (size_t i = 0; i < count; i++) {
            field g[REC_N];
            if (acr_peek(&s) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "dag-jose: a recipient is a map");
            AC_TRY(read_map(&s, REC_KEYS, REC_N, g, "a recipient"));
            acw_map(out, (size_t)g[REC_HEADER].set + g[REC_ENCRYPTED_KEY].set);
            if (g[REC_HEADER].set) { acw_cstr(out, "header"); ac_buf_put(out, g[REC_HEADER].p, g[REC_HEADER].n); }
            if (g[REC_ENCRYPTED_KEY].set) {
                acw_cstr(out, "encrypted_key");
                AC_TRY(put_from_b64(out, &g[REC_ENCRYPTED_KEY], "encrypted_key"));
            }
        }
    }
    if (f[JWE_UNPROTECTED].set) { acw_cstr(out, "unprotected"); ac_buf_put(out, f[JWE_UNPROTECTED].p, f[JWE_UNPROTECTED].n); }
    return out->err;
}

static int jose_encode(const uint8_t *in, size_t n, ac_buf *out) {
    ac_buf wire, check;
    ac_buf_init(&wire);
    AC_TRY(encode_wire(in, n, &wire));
    ac_buf_init(&check);
    AC_TRY(jose_decode(wire.data, wire.len, &check));
    if (check.len != n || memcmp(check.data, in, n) != 0)
        return ac_fail(AC_ERR_INVALID, "dag-jose: the value is not the data model of a dag-jose block (link or fields disagree)");
    return ac_buf_put(out, wire.data, wire.len);
}

AC_EXPORT_CODEC(jose_decode, jose_encode, jose_links)
