/* Script disassembly, standard types and addresses (see script.h). */
#include "script.h"
#include "btc_hash.h"

enum {
    OP_0 = 0x00, OP_PUSHDATA1 = 0x4c, OP_PUSHDATA2 = 0x4d, OP_PUSHDATA4 = 0x4e, OP_1NEGATE = 0x4f,
    OP_RESERVED = 0x50, OP_1 = 0x51, OP_16 = 0x60, OP_RETURN = 0x6a, OP_DUP = 0x76, OP_EQUAL = 0x87,
    OP_EQUALVERIFY = 0x88, OP_HASH160 = 0xa9, OP_CHECKSIG = 0xac, OP_CHECKMULTISIG = 0xae,
};
#define MAX_SCRIPT_SIZE 10000

/* Names of opcodes 0x61..0xb9 (contiguous), as Bitcoin Core's GetOpName prints them. */
static const char *const NAMES[] = {
    "OP_NOP", "OP_VER", "OP_IF", "OP_NOTIF", "OP_VERIF", "OP_VERNOTIF", "OP_ELSE", "OP_ENDIF", "OP_VERIFY",
    "OP_RETURN", "OP_TOALTSTACK", "OP_FROMALTSTACK", "OP_2DROP", "OP_2DUP", "OP_3DUP", "OP_2OVER", "OP_2ROT",
    "OP_2SWAP", "OP_IFDUP", "OP_DEPTH", "OP_DROP", "OP_DUP", "OP_NIP", "OP_OVER", "OP_PICK", "OP_ROLL", "OP_ROT",
    "OP_SWAP", "OP_TUCK", "OP_CAT", "OP_SUBSTR", "OP_LEFT", "OP_RIGHT", "OP_SIZE", "OP_INVERT", "OP_AND", "OP_OR",
    "OP_XOR", "OP_EQUAL", "OP_EQUALVERIFY", "OP_RESERVED1", "OP_RESERVED2", "OP_1ADD", "OP_1SUB", "OP_2MUL",
    "OP_2DIV", "OP_NEGATE", "OP_ABS", "OP_NOT", "OP_0NOTEQUAL", "OP_ADD", "OP_SUB", "OP_MUL", "OP_DIV", "OP_MOD",
    "OP_LSHIFT", "OP_RSHIFT", "OP_BOOLAND", "OP_BOOLOR", "OP_NUMEQUAL", "OP_NUMEQUALVERIFY", "OP_NUMNOTEQUAL",
    "OP_LESSTHAN", "OP_GREATERTHAN", "OP_LESSTHANOREQUAL", "OP_GREATERTHANOREQUAL", "OP_MIN", "OP_MAX",
    "OP_WITHIN", "OP_RIPEMD160", "OP_SHA1", "OP_SHA256", "OP_HASH160", "OP_HASH256", "OP_CODESEPARATOR",
    "OP_CHECKSIG", "OP_CHECKSIGVERIFY", "OP_CHECKMULTISIG", "OP_CHECKMULTISIGVERIFY", "OP_NOP1",
    "OP_CHECKLOCKTIMEVERIFY", "OP_CHECKSEQUENCEVERIFY", "OP_NOP4", "OP_NOP5", "OP_NOP6", "OP_NOP7", "OP_NOP8",
    "OP_NOP9", "OP_NOP10",
};

static int put_str(ac_buf *s, const char *z) { return ac_buf_put(s, z, ac_strlen(z)); }

int btc_put_int(ac_buf *s, int64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { tmp[--i] = (char)('0' + m % 10); m /= 10; } while (m);
    if (v < 0) tmp[--i] = '-';
    return ac_buf_put(s, tmp + i, sizeof tmp - i);
}

/* One script operation at *off: opcode and pushed data; false when a push is truncated. */
typedef struct { unsigned op; const uint8_t *data; size_t n; } sop;

static bool get_op(const uint8_t *p, size_t len, size_t *off, sop *o) {
    size_t i = *off;
    if (i >= len) return false;
    o->op = p[i++];
    o->data = p + i;
    o->n = 0;
    if (o->op <= OP_PUSHDATA4) {
        uint64_t size;
        if (o->op < OP_PUSHDATA1) {
            size = o->op;
        } else if (o->op == OP_PUSHDATA1) {
            if (len - i < 1) return false;
            size = p[i]; i += 1;
        } else if (o->op == OP_PUSHDATA2) {
            if (len - i < 2) return false;
            size = (uint64_t)p[i] | (uint64_t)p[i + 1] << 8; i += 2;
        } else {
            if (len - i < 4) return false;
            size = ac_le32(p + i); i += 4;
        }
        if (len - i < size) return false;
        o->data = p + i;
        o->n = (size_t)size;
        i += (size_t)size;
    }
    *off = i;
    return true;
}

static bool valid_sig_encoding(const uint8_t *sig, size_t n) {
    if (n < 9 || n > 73 || sig[0] != 0x30 || sig[1] != n - 3) return false;
    size_t lr = sig[3];
    if (5 + lr >= n) return false;
    size_t ls = sig[5 + lr];
    if (lr + ls + 7 != n || sig[2] != 0x02 || lr == 0 || (sig[4] & 0x80)) return false;
    if (lr > 1 && sig[4] == 0x00 && !(sig[5] & 0x80)) return false;
    if (sig[lr + 4] != 0x02 || ls == 0 || (sig[lr + 6] & 0x80)) return false;
    if (ls > 1 && sig[lr + 6] == 0x00 && !(sig[lr + 7] & 0x80)) return false;
    return true;
}

static const char *sighash_name(uint8_t b) {
    switch (b) {
    case 0x01: return "ALL";
    case 0x81: return "ALL|ANYONECANPAY";
    case 0x02: return "NONE";
    case 0x82: return "NONE|ANYONECANPAY";
    case 0x03: return "SINGLE";
    case 0x83: return "SINGLE|ANYONECANPAY";
    default: return 0;
    }
}

/* CScriptNum of at most 4 bytes: little endian magnitude, sign in the top bit of the last byte. */
static int64_t small_num(const uint8_t *p, size_t n) {
    if (!n) return 0;
    int64_t r = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = p[i];
        if (i == n - 1) v &= 0x7f;
        r |= (int64_t)v << (8 * i);
    }
    return (p[n - 1] & 0x80) ? -r : r;
}

int btc_script_asm(ac_buf *s, const uint8_t *p, size_t n, bool sighash) {
    size_t off = 0;
    bool unspendable = (n > 0 && p[0] == OP_RETURN) || n > MAX_SCRIPT_SIZE;
    while (off < n) {
        sop o;
        if (off) ac_buf_byte(s, ' ');
        if (!get_op(p, n, &off, &o)) return put_str(s, "[error]");
        if (o.op <= OP_PUSHDATA4) {
            if (o.n <= 4) {
                btc_put_int(s, small_num(o.data, o.n));
            } else {
                const char *sh = 0;
                size_t show = o.n;
                if (sighash && !unspendable && valid_sig_encoding(o.data, o.n)) {
                    uint8_t t = o.data[o.n - 1] & 0x7f;
                    if (t >= 1 && t <= 3 && (sh = sighash_name(o.data[o.n - 1]))) show = o.n - 1;
                }
                ac_buf_hex(s, o.data, show);
                if (sh) { ac_buf_byte(s, '['); put_str(s, sh); ac_buf_byte(s, ']'); }
            }
        } else if (o.op == OP_1NEGATE) {
            put_str(s, "-1");
        } else if (o.op == OP_RESERVED) {
            put_str(s, "OP_RESERVED");
        } else if (o.op >= OP_1 && o.op <= OP_16) {
            btc_put_int(s, (int64_t)(o.op - OP_1 + 1));
        } else if (o.op >= 0x61 && o.op <= 0xb9) {
            put_str(s, NAMES[o.op - 0x61]);
        } else if (o.op == 0xff) {
            put_str(s, "OP_INVALIDOPCODE");
        } else {
            put_str(s, "OP_UNKNOWN");
        }
    }
    return s->err;
}

/* ---- Solver ------------------------------------------------------------------------- */
typedef enum { T_NONSTANDARD, T_PUBKEY, T_PUBKEYHASH, T_SCRIPTHASH, T_MULTISIG, T_NULL_DATA,
               T_WITNESS_V0_KEYHASH, T_WITNESS_V0_SCRIPTHASH, T_WITNESS_UNKNOWN } stype;
static const char *const TYPE_NAMES[] = {"nonstandard", "pubkey", "pubkeyhash", "scripthash", "multisig",
                                         "nulldata", "witness_v0_keyhash", "witness_v0_scripthash",
                                         "witness_unknown"};

#define MAX_KEYS 16
typedef struct {
    stype type;
    const uint8_t *hash; size_t hash_n;     /* pkh, sh, witness program */
    unsigned wit_version;
    unsigned required;
    size_t nkeys;
    const uint8_t *keys[MAX_KEYS]; size_t key_n[MAX_KEYS];
} solution;

static size_t pubkey_len(uint8_t h) {
    if (h == 2 || h == 3) return 33;
    if (h == 4 || h == 6 || h == 7) return 65;
    return 0;
}
static bool pubkey_valid(const uint8_t *p, size_t n) { return n > 0 && pubkey_len(p[0]) == n; }

static bool push_only(const uint8_t *p, size_t n, size_t off) {
    while (off < n) {
        sop o;
        if (!get_op(p, n, &off, &o) || o.op > OP_16) return false;
    }
    return true;
}

static bool match_multisig(const uint8_t *p, size_t n, solution *s) {
    size_t off = 0;
    sop o;
    if (n < 1 || p[n - 1] != OP_CHECKMULTISIG) return false;
    if (!get_op(p, n, &off, &o) || o.op < OP_1 || o.op > OP_16) return false;
    s->required = o.op - OP_1 + 1;
    s->nkeys = 0;
    for (;;) {
        if (!get_op(p, n, &off, &o)) return false;
        if (!pubkey_valid(o.data, o.n)) break;
        if (s->nkeys == MAX_KEYS) return false; /* more keys than the final OP_16 can count */
        s->keys[s->nkeys] = o.data;
        s->key_n[s->nkeys++] = o.n;
    }
    if (o.op < OP_1 || o.op > OP_16) return false;
    unsigned keys = o.op - OP_1 + 1;
    if (s->nkeys != keys || keys < s->required) return false;
    return off == n - 1;
}

static void solve(const uint8_t *p, size_t n, solution *s) {
    s->type = T_NONSTANDARD;
    s->hash = 0; s->hash_n = 0; s->nkeys = 0;
    if (n == 23 && p[0] == OP_HASH160 && p[1] == 0x14 && p[22] == OP_EQUAL) {
        s->type = T_SCRIPTHASH; s->hash = p + 2; s->hash_n = 20;
        return;
    }
    if (n >= 4 && n <= 42 && (p[0] == OP_0 || (p[0] >= OP_1 && p[0] <= OP_16)) && (size_t)p[1] + 2 == n) {
        unsigned v = p[0] == OP_0 ? 0 : p[0] - OP_1 + 1;
        s->hash = p + 2; s->hash_n = n - 2; s->wit_version = v;
        if (v == 0 && s->hash_n == 20) s->type = T_WITNESS_V0_KEYHASH;
        else if (v == 0 && s->hash_n == 32) s->type = T_WITNESS_V0_SCRIPTHASH;
        else if (v != 0) s->type = T_WITNESS_UNKNOWN;
        return;
    }
    if (n >= 1 && p[0] == OP_RETURN && push_only(p, n, 1)) {
        s->type = T_NULL_DATA;
        return;
    }
    if ((n == 67 && p[0] == 65 && p[n - 1] == OP_CHECKSIG && pubkey_valid(p + 1, 65)) ||
        (n == 35 && p[0] == 33 && p[n - 1] == OP_CHECKSIG && pubkey_valid(p + 1, 33))) {
        s->type = T_PUBKEY;
        return;
    }
    if (n == 25 && p[0] == OP_DUP && p[1] == OP_HASH160 && p[2] == 20 && p[23] == OP_EQUALVERIFY &&
        p[24] == OP_CHECKSIG) {
        s->type = T_PUBKEYHASH; s->hash = p + 3; s->hash_n = 20;
        return;
    }
    if (match_multisig(p, n, s)) {
        s->type = T_MULTISIG;
        return;
    }
    s->nkeys = 0;
}

/* ---- addresses ---------------------------------------------------------------------- */
static int base58check(ac_buf *s, uint8_t version, const uint8_t *payload) {
    static const char ALPHA[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t raw[25], chk[32], digits[40];
    size_t nd = 0, zeros = 0;
    raw[0] = version;
    memcpy(raw + 1, payload, 20);
    btc_dbl_sha256(raw, 21, chk);
    memcpy(raw + 21, chk, 4);
    while (zeros < 25 && raw[zeros] == 0) zeros++;
    for (size_t i = zeros; i < 25; i++) {
        unsigned carry = raw[i];
        for (size_t j = 0; j < nd; j++) {
            carry += (unsigned)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry) { digits[nd++] = (uint8_t)(carry % 58); carry /= 58; }
    }
    for (size_t i = 0; i < zeros; i++) ac_buf_byte(s, '1');
    while (nd) ac_buf_byte(s, (uint8_t)ALPHA[digits[--nd]]);
    return s->err;
}

static uint32_t bech32_polymod(uint32_t chk, uint8_t v) {
    static const uint32_t GEN[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint8_t top = (uint8_t)(chk >> 25);
    chk = (chk & 0x1ffffff) << 5 ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1) chk ^= GEN[i];
    return chk;
}

/* bech32 (BIP 173 checksum constant 1, as the reference uses for every witness version) "bc1...". */
static int bech32_addr(ac_buf *s, unsigned version, const uint8_t *prog, size_t n) {
    static const char CHARSET[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    uint8_t words[72];
    size_t nw = 0;
    words[nw++] = (uint8_t)version;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | prog[i];
        bits += 8;
        while (bits >= 5) { bits -= 5; words[nw++] = (uint8_t)((acc >> bits) & 31); }
    }
    if (bits) words[nw++] = (uint8_t)((acc << (5 - bits)) & 31);
    uint32_t chk = 1;
    chk = bech32_polymod(chk, 'b' >> 5);
    chk = bech32_polymod(chk, 'c' >> 5);
    chk = bech32_polymod(chk, 0);
    chk = bech32_polymod(chk, 'b' & 31);
    chk = bech32_polymod(chk, 'c' & 31);
    for (size_t i = 0; i < nw; i++) chk = bech32_polymod(chk, words[i]);
    for (int i = 0; i < 6; i++) chk = bech32_polymod(chk, 0);
    chk ^= 1;
    put_str(s, "bc1");
    for (size_t i = 0; i < nw; i++) ac_buf_byte(s, (uint8_t)CHARSET[words[i]]);
    for (int i = 0; i < 6; i++) ac_buf_byte(s, (uint8_t)CHARSET[(chk >> (5 * (5 - i))) & 31]);
    return s->err;
}

size_t btc_text_begin(ac_buf *out) {
    size_t start = out->len;
    ac_buf_extend(out, 9); /* room for the longest head; btc_text_end moves the text back */
    return start;
}

int btc_text_end(ac_buf *out, size_t start) {
    if (out->err) return out->err;
    size_t n = out->len - start - 9;
    ac_buf head;
    uint8_t h[9];
    head.data = h; head.len = 0; head.cap = sizeof h; head.err = 0;
    acw_head(&head, 3, n);
    memmove(out->data + start + head.len, out->data + start + 9, n);
    memcpy(out->data + start, h, head.len);
    out->len = start + head.len + n;
    return AC_OK;
}

int btc_write_script_pubkey(ac_buf *out, const uint8_t *p, size_t n) {
    solution sol;
    ac_buf *s = out;
    solve(p, n, &sol);
    /* addresses as Core's ExtractDestinations: none for pubkey (the porcelain leaves them out),
       nonstandard and null data */
    size_t naddr = 0;
    switch (sol.type) {
    case T_PUBKEYHASH: case T_SCRIPTHASH: case T_WITNESS_V0_KEYHASH: case T_WITNESS_V0_SCRIPTHASH:
    case T_WITNESS_UNKNOWN: naddr = 1; break;
    case T_MULTISIG: naddr = sol.nkeys; break;
    default: break;
    }
    size_t at;
    acw_map(out, naddr ? 5 : 3);
    acw_cstr(out, "asm");
    at = btc_text_begin(out);
    btc_script_asm(out, p, n, false);
    btc_text_end(out, at);
    acw_cstr(out, "hex");
    acw_head(out, 3, (uint64_t)n * 2);
    ac_buf_hex(out, p, n);
    acw_cstr(out, "type");
    acw_cstr(out, TYPE_NAMES[sol.type]);
    if (naddr) {
        acw_cstr(out, "reqSigs");
        acw_uint(out, sol.type == T_MULTISIG ? sol.required : 1);
        acw_cstr(out, "addresses");
        acw_array(out, naddr);
        for (size_t i = 0; i < naddr; i++) {
            at = btc_text_begin(out);
            if (sol.type == T_PUBKEYHASH) {
                base58check(s, 0x00, sol.hash);
            } else if (sol.type == T_SCRIPTHASH) {
                base58check(s, 0x05, sol.hash);
            } else if (sol.type == T_MULTISIG) {
                uint8_t h[20];
                btc_hash160(sol.keys[i], sol.key_n[i], h);
                base58check(s, 0x00, h);
            } else {
                bech32_addr(s, sol.wit_version, sol.hash, sol.hash_n);
            }
            btc_text_end(out, at);
        }
    }
    return out->err;
}
