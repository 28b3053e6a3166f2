/*
 * git.c - git loose objects as an autocodec codec (git-raw, multicodec 0x78), ABI v1.
 *
 * A block is a whole object, "<type> <size>\0<body>", so its sha1 is the git object id.
 * The data model is the one Kubo's git codec gives: go-ipld-git v0.1.3 as Kubo v0.43.1 runs
 * it (`ipfs dag get` of a git-raw block).  Its decoder is emulated line for line here,
 * including Go's bufio.Reader.ReadLine (a 4096-byte buffer, "\r\n" stripped), and so is its
 * encoder.  git-raw.ipldsch beside this file is the written schema, extensions included.
 *
 *   blob   -> bytes: the whole object, "blob <size>\0" + content
 *   tree   -> {name: {"mode", "hash"}}
 *   commit -> {"tree", "parents", "message", "author"?, "committer"?, "encoding"?,
 *              "signature"?, "mergetag", "other"}  (absent optionals are null, as in Kubo)
 *   tag    -> {"object", "type", "tag", "tagger", "message"}
 *   person -> {"name", "email", "date", "timezone"}
 *
 * Extensions (only where the reference cannot give the object, each in git-raw.ipldsch):
 *   - text that is not strict UTF-8 is Bytes (an IPLD String must be UTF-8; Go keeps the raw
 *     bytes in a string and its DAG-JSON shows U+FFFD);
 *   - a tree entry whose name is not UTF-8 has the Go/DAG-JSON key (each invalid byte ->
 *     U+FFFD) and its exact name under "name"; a tree with duplicate names (the reference
 *     refuses it), names out of git's order, or colliding keys is a list of {name, mode, hash};
 *   - where the reference would fail (a gpgsig that is not PGP-armoured, such as SSH or x509
 *     signatures; an ident it cannot split) the header goes, line by line, to "other", as the
 *     reference does with every header it does not know; a mergetag tagger it cannot split
 *     is skipped like the lines it ignores;
 *   - a commit or tag whose reference re-encoding differs from its bytes (headers out of
 *     order, no author, no blank line, an empty tag message, ...) also has "rawHeaders":
 *     the exact bytes of the body before "message".
 *
 * Invariants:
 *   - encode(decode(b)) == b for every block decode accepts; without "rawHeaders" encode is
 *     the reference encoder, so decode gives the reference's model whenever the reference
 *     round-trips the object;
 *   - encode of a value with "rawHeaders" writes rawHeaders + message and refuses the value
 *     unless decoding that object gives back exactly the value;
 *   - links are CIDv1 git-raw (0x78) with sha1 multihashes (0x11, 20 bytes);
 *   - malformed objects (framing, a tree entry, a tree/parent/mergetag hash that is not 40
 *     hex digits, a commit with no tree, a tag with no object) are AC_ERR_INVALID with a
 *     message, and a zlib-compressed loose object says so.
 */
#include "ac.h"

#define GIT_RAW 0x78
#define SHA1_MH 0x11
#define SHA1_LEN 20
#define GO_BUFIO 4096 /* bufio.NewReader's buffer size: the longest line ReadLine returns */

/* ---- small helpers ------------------------------------------------------------------ */

typedef struct { const uint8_t *p; size_t n; } span;

static const char OOM[] = "out of memory";

static bool span_is(span s, const char *lit) {
    size_t n = ac_strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool has_prefix(span s, const char *lit) {
    size_t n = ac_strlen(lit);
    return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static span after(span s, size_t k) { return (span){ s.p + k, s.n - k }; }

static const uint8_t *find_byte(const uint8_t *p, const uint8_t *end, uint8_t c) {
    for (; p < end; p++)
        if (*p == c) return p;
    return 0;
}

static bool has_byte(span s, uint8_t c) { return find_byte(s.p, s.p + s.n, c) != 0; }

/* Text when it is strict UTF-8, bytes otherwise. */
static int w_str(ac_buf *out, span s) {
    return ac_utf8_valid(s.p, s.n) ? acw_text(out, (const char *)s.p, s.n) : acw_bytes(out, s.p, s.n);
}

static int w_link(ac_buf *out, const uint8_t *sha) {
    uint8_t cid[4 + SHA1_LEN] = { 0x01, GIT_RAW, SHA1_MH, SHA1_LEN };
    memcpy(cid + 4, sha, SHA1_LEN);
    return acw_cid(out, cid, sizeof cid);
}

/* Go's hex.DecodeString (either case) giving exactly 20 bytes. */
static bool hex20(span s, uint8_t *sha) {
    if (s.n != 2 * SHA1_LEN) return false;
    for (size_t i = 0; i < SHA1_LEN; i++) {
        uint8_t v = 0;
        for (size_t j = 0; j < 2; j++) {
            uint8_t c = s.p[2 * i + j], d;
            if (c >= '0' && c <= '9') d = (uint8_t)(c - '0');
            else if (c >= 'a' && c <= 'f') d = (uint8_t)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = (uint8_t)(c - 'A' + 10);
            else return false;
            v = (uint8_t)(v << 4 | d);
        }
        sha[i] = v;
    }
    return true;
}

/* A growable array in the arena; false when out of memory. */
static bool grow(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = ac_alloc(nc * elem);
    if (!p) return false;
    if (n) memcpy(p, *arr, n * elem);
    *arr = p;
    *cap = nc;
    return true;
}

static span buf_span(const ac_buf *b) { return (span){ b->data, b->len }; }

/* ---- object header ---------------------------------------------------------------------- */

enum { OBJ_BLOB, OBJ_TREE, OBJ_COMMIT, OBJ_TAG };

static bool looks_zlib(const uint8_t *in, size_t n) {
    return n >= 2 && (in[0] & 0x0f) == 8 && (in[0] >> 4) <= 7 && ((unsigned)in[0] << 8 | in[1]) % 31 == 0;
}

static int parse_object(const uint8_t *in, size_t n, int *type, span *body) {
    const uint8_t *end = in + n, *sp = find_byte(in, end, ' ');
    span t = { in, sp ? (size_t)(sp - in) : 0 };
    if (sp && span_is(t, "blob")) *type = OBJ_BLOB;
    else if (sp && span_is(t, "tree")) *type = OBJ_TREE;
    else if (sp && span_is(t, "commit")) *type = OBJ_COMMIT;
    else if (sp && span_is(t, "tag")) *type = OBJ_TAG;
    else if (looks_zlib(in, n))
        return ac_fail(AC_ERR_INVALID, "this is a zlib-compressed loose object (as stored under .git/objects): "
                                       "inflate it first; a git-raw block is the uncompressed \"<type> <size>\\0<body>\"");
    else if (!sp) return ac_fail(AC_ERR_INVALID, "bad object header: no space after the type");
    else return ac_fail(AC_ERR_INVALID, "bad object header: unknown object type");
    const uint8_t *d = sp + 1, *nul = find_byte(d, end, 0);
    if (!nul) return ac_fail(AC_ERR_INVALID, "bad object header: no NUL after the size");
    size_t nd = (size_t)(nul - d);
    if (nd == 0 || nd > 19) return ac_fail(AC_ERR_INVALID, "bad object header: bad size");
    if (d[0] == '0' && nd > 1) return ac_fail(AC_ERR_INVALID, "bad object header: size has a leading zero");
    uint64_t size = 0;
    for (size_t i = 0; i < nd; i++) {
        if (d[i] < '0' || d[i] > '9') return ac_fail(AC_ERR_INVALID, "bad object header: size is not decimal");
        size = size * 10 + (uint64_t)(d[i] - '0');
    }
    size_t left = (size_t)(end - nul - 1);
    if (size != left)
        return ac_failf(AC_ERR_INVALID, "size mismatch: header says %llu, body has %zu bytes",
                        (unsigned long long)size, left);
    body->p = nul + 1;
    body->n = left;
    return AC_OK;
}

/* ---- Go's bufio.Reader.ReadLine over a body ------------------------------------------------ */

typedef struct { span b; size_t pos; } lines;

/* The next line without its "\n" or "\r\n"; a line longer than the 4096-byte buffer comes in
 * 4096-byte pieces (a '\r' at a piece's end is held back for the next one); the last line
 * needs no "\n".  False at the end. */
static bool next_line(lines *r, span *line) {
    if (r->pos >= r->b.n) return false;
    const uint8_t *s = r->b.p + r->pos;
    size_t left = r->b.n - r->pos, lim = left < GO_BUFIO ? left : GO_BUFIO, len;
    const uint8_t *nl = find_byte(s, s + lim, '\n');
    if (nl) {
        len = (size_t)(nl - s);
        r->pos += len + 1;
        if (len && s[len - 1] == '\r') len--;
    } else if (left >= GO_BUFIO) {
        len = s[GO_BUFIO - 1] == '\r' ? GO_BUFIO - 1 : GO_BUFIO;
        r->pos += len;
    } else {
        len = left;
        r->pos += left;
    }
    *line = (span){ s, len };
    return true;
}

static span rest_of(lines *r) {
    span s = { r->b.p + r->pos, r->b.n - r->pos };
    r->pos = r->b.n;
    return s;
}

/* ---- people: go-ipld-git's parsePersonInfo and GitString ---------------------------------- */

typedef struct { span name, email, date, tz; } gperson;

/* Split `line` ("<key> name <email> date tz") as the reference does: on single spaces, the
 * name up to the first part starting with '<', the email up to a part ending with '>', then
 * date and timezone, anything after ignored.  *ok false where the reference fails. */
static int person_parse(span line, gperson *g, bool *ok) {
    *ok = false;
    memset(g, 0, sizeof *g);
    size_t cap = 8, np = 0;
    span *parts = (span *)ac_alloc(cap * sizeof(span));
    if (!parts) return ac_fail(AC_ERR_NOMEM, OOM);
    const uint8_t *p = line.p, *end = line.p + line.n;
    for (;;) {
        const uint8_t *sp = find_byte(p, end, ' ');
        if (!grow((void **)&parts, &cap, np, sizeof(span))) return ac_fail(AC_ERR_NOMEM, OOM);
        parts[np++] = (span){ p, (size_t)((sp ? sp : end) - p) };
        if (!sp) break;
        p = sp + 1;
    }
    if (np < 3) return AC_OK;
    uint8_t *name = (uint8_t *)ac_alloc(line.n + 1), *email = (uint8_t *)ac_alloc(line.n + 1);
    if (!name || !email) return ac_fail(AC_ERR_NOMEM, OOM);
    size_t at = 1, nn = 0, ne = 0;
    for (;; at++) {
        if (at == np) return AC_OK;
        span part = parts[at];
        if (part.n) {
            if (part.p[0] == '<') break;
            memcpy(name + nn, part.p, part.n);
            nn += part.n;
            name[nn++] = ' ';
        } else if (nn) {
            name[nn++] = ' ';
        }
    }
    g->name = (span){ name, nn ? nn - 1 : 0 };
    for (;;) {
        if (at == np) return AC_OK;
        span part = parts[at++];
        if (part.n && part.p[0] == '<') part = after(part, 1);
        if (part.n && part.p[part.n - 1] == '>') {
            memcpy(email + ne, part.p, part.n - 1);
            ne += part.n - 1;
            break;
        }
        memcpy(email + ne, part.p, part.n);
        ne += part.n;
        email[ne++] = ' ';
    }
    g->email = (span){ email, ne };
    if (at < np) g->date = parts[at++];
    if (at < np) g->tz = parts[at];
    *ok = true;
    return AC_OK;
}

/* GitString: "name <email>[ date][ timezone]". */
static int person_git(ac_buf *out, const gperson *g) {
    AC_TRY(ac_buf_put(out, g->name.p, g->name.n));
    AC_TRY(ac_buf_put(out, " <", 2));
    AC_TRY(ac_buf_put(out, g->email.p, g->email.n));
    AC_TRY(ac_buf_byte(out, '>'));
    if (g->date.n) {
        AC_TRY(ac_buf_byte(out, ' '));
        AC_TRY(ac_buf_put(out, g->date.p, g->date.n));
    }
    if (g->tz.n) {
        AC_TRY(ac_buf_byte(out, ' '));
        AC_TRY(ac_buf_put(out, g->tz.p, g->tz.n));
    }
    return out->err;
}

/* Keys in canonical order: date, name, email, timezone. */
static int person_emit(ac_buf *out, const gperson *g) {
    AC_TRY(acw_map(out, 4));
    AC_TRY(acw_cstr(out, "date"));
    AC_TRY(w_str(out, g->date));
    AC_TRY(acw_cstr(out, "name"));
    AC_TRY(w_str(out, g->name));
    AC_TRY(acw_cstr(out, "email"));
    AC_TRY(w_str(out, g->email));
    AC_TRY(acw_cstr(out, "timezone"));
    return w_str(out, g->tz);
}

/* ---- the models ------------------------------------------------------------------------------ */

typedef struct {
    bool has_object;
    uint8_t object[SHA1_LEN];
    span type, tag, msg;
    bool has_tagger; /* always true in a decoded value (the reference's tagger is not optional) */
    gperson tagger;
    bool has_raw;
    span raw; /* rawHeaders */
} gtag;

typedef struct {
    uint8_t tree[SHA1_LEN];
    bool has_tree;
    uint8_t *parents;
    size_t np, capp;
    bool has_author, has_committer, has_enc, has_sig, has_raw;
    gperson author, committer;
    span enc, sig, msg, raw;
    gtag *mt;
    size_t nm, capm;
    span *other;
    size_t no, capo;
} gcommit;

static int add_other(gcommit *c, span line) {
    if (!grow((void **)&c->other, &c->capo, c->no, sizeof(span))) return ac_fail(AC_ERR_NOMEM, OOM);
    c->other[c->no++] = line;
    return AC_OK;
}

/* ---- decoding: the reference's readers ------------------------------------------------------- */

/* readMergeTag: " type ", " tag ", " tagger " lines (others ignored) up to the " " line, then
 * message lines (each kept with its leading space, plus "\n") up to the first line without a
 * leading space, which is handed back in *rest. */
static int read_mergetag(lines *r, gtag *t, span *rest, bool *has_rest) {
    *has_rest = false;
    span line;
    while (next_line(r, &line)) {
        if (has_prefix(line, " type ")) {
            t->type = after(line, 6);
        } else if (has_prefix(line, " tag ")) {
            t->tag = after(line, 5);
        } else if (has_prefix(line, " tagger ")) {
            gperson g;
            bool ok;
            AC_TRY(person_parse(after(line, 1), &g, &ok));
            if (ok) t->tagger = g; /* the reference fails on a tagger it cannot split: skipped here */
        } else if (span_is(line, " ")) {
            ac_buf msg;
            ac_buf_init(&msg);
            while (next_line(r, &line)) {
                if (!has_prefix(line, " ")) {
                    *rest = line;
                    *has_rest = true;
                    break;
                }
                AC_TRY(ac_buf_put(&msg, line.p, line.n));
                AC_TRY(ac_buf_byte(&msg, '\n'));
            }
            AC_TRY(msg.err);
            t->msg = buf_span(&msg);
            return AC_OK; /* the reference fails when the object ends inside the message: kept here */
        }
    }
    return AC_OK;
}

/* decodeGpgSig on a copy of the reader: the signature and true, or false where the reference
 * fails (first line not " ", " Version: " or " Comment: "; no " -----END PGP SIGNATURE-----").
 * *no_end is the earliest position from which a search found no END line: later searches from
 * there on fail at once, so many unterminated gpgsig headers cost linear time, not quadratic. */
static int read_gpgsig(lines *r, span *sig, bool *ok, size_t *no_end) {
    *ok = false;
    lines c = *r;
    span line;
    if (!next_line(&c, &line)) return AC_OK;
    if (!span_is(line, " ") && !has_prefix(line, " Version: ") && !has_prefix(line, " Comment: ")) return AC_OK;
    size_t from = c.pos;
    if (from >= *no_end) return AC_OK;
    ac_buf s;
    ac_buf_init(&s);
    AC_TRY(ac_buf_put(&s, line.p, line.n));
    AC_TRY(ac_buf_byte(&s, '\n'));
    for (;;) {
        if (!next_line(&c, &line)) {
            *no_end = from;
            return AC_OK;
        }
        if (span_is(line, " -----END PGP SIGNATURE-----")) break;
        AC_TRY(ac_buf_put(&s, line.p, line.n));
        AC_TRY(ac_buf_byte(&s, '\n'));
    }
    AC_TRY(s.err);
    *sig = buf_span(&s);
    *r = c;
    *ok = true;
    return AC_OK;
}

/* DecodeCommit, with the leniencies listed at the top of this file. */
static int commit_parse(span body, gcommit *c) {
    memset(c, 0, sizeof *c);
    lines r = { body, 0 };
    span line, pending;
    bool has_pending = false;
    size_t no_end = (size_t)-1;
    for (;;) {
        if (has_pending) {
            line = pending;
            has_pending = false;
        } else if (!next_line(&r, &line)) {
            break;
        }
        if (has_prefix(line, "tree ")) {
            if (!hex20(after(line, 5), c->tree))
                return ac_fail(AC_ERR_INVALID, "commit: bad tree line (want 'tree <40 hex digits>')");
            c->has_tree = true;
        } else if (has_prefix(line, "parent ")) {
            if (!grow((void **)&c->parents, &c->capp, c->np, SHA1_LEN)) return ac_fail(AC_ERR_NOMEM, OOM);
            if (!hex20(after(line, 7), c->parents + c->np * SHA1_LEN))
                return ac_fail(AC_ERR_INVALID, "commit: bad parent line (want 'parent <40 hex digits>')");
            c->np++;
        } else if (has_prefix(line, "author ") || has_prefix(line, "committer ")) {
            bool author = line.p[0] == 'a', ok;
            gperson g;
            AC_TRY(person_parse(line, &g, &ok));
            if (!ok) {
                AC_TRY(add_other(c, line)); /* the reference fails here */
            } else if (author) {
                c->author = g;
                c->has_author = true;
            } else {
                c->committer = g;
                c->has_committer = true;
            }
        } else if (has_prefix(line, "encoding ")) {
            c->enc = after(line, 9);
            c->has_enc = true;
        } else if (has_prefix(line, "mergetag object ")) {
            gtag t;
            memset(&t, 0, sizeof t);
            if (!hex20(after(line, 16), t.object))
                return ac_fail(AC_ERR_INVALID, "commit: bad mergetag line (want 'mergetag object <40 hex digits>')");
            t.has_object = t.has_tagger = true;
            AC_TRY(read_mergetag(&r, &t, &pending, &has_pending));
            if (!grow((void **)&c->mt, &c->capm, c->nm, sizeof(gtag))) return ac_fail(AC_ERR_NOMEM, OOM);
            c->mt[c->nm++] = t;
        } else if (has_prefix(line, "gpgsig ")) {
            bool ok;
            AC_TRY(read_gpgsig(&r, &c->sig, &ok, &no_end));
            if (ok) c->has_sig = true;
            else AC_TRY(add_other(c, line)); /* not PGP: the reference fails here */
        } else if (line.n == 0) {
            c->msg = rest_of(&r);
        } else {
            AC_TRY(add_other(c, line));
        }
    }
    if (!c->has_tree) return ac_fail(AC_ERR_INVALID, "commit: no 'tree <40 hex digits>' line");
    return AC_OK;
}

/* DecodeTag: object, type, tag, tagger lines in any order (others dropped), then the message. */
static int tag_parse(span body, gtag *t) {
    memset(t, 0, sizeof *t);
    t->has_tagger = true;
    lines r = { body, 0 };
    span line;
    while (next_line(&r, &line)) {
        if (has_prefix(line, "object ")) {
            if (!hex20(after(line, 7), t->object))
                return ac_fail(AC_ERR_INVALID, "tag: bad object line (want 'object <40 hex digits>')");
            t->has_object = true;
        } else if (has_prefix(line, "tag ")) {
            t->tag = after(line, 4);
        } else if (has_prefix(line, "tagger ")) {
            gperson g;
            bool ok;
            AC_TRY(person_parse(line, &g, &ok));
            if (ok) t->tagger = g; /* the reference fails on a tagger it cannot split: dropped here */
        } else if (has_prefix(line, "type ")) {
            t->type = after(line, 5);
        } else if (line.n == 0) {
            t->msg = rest_of(&r);
        }
    }
    if (!t->has_object) return ac_fail(AC_ERR_INVALID, "tag: no 'object <40 hex digits>' line");
    return AC_OK;
}

/* ---- the reference's encoders ----------------------------------------------------------------- */

static int put_hex(ac_buf *out, const char *prefix, const uint8_t *sha) {
    AC_TRY(ac_buf_put(out, prefix, ac_strlen(prefix)));
    AC_TRY(ac_buf_hex(out, sha, SHA1_LEN));
    return ac_buf_byte(out, '\n');
}

static int put_kv(ac_buf *out, const char *key, span v) {
    AC_TRY(ac_buf_put(out, key, ac_strlen(key)));
    AC_TRY(ac_buf_put(out, v.p, v.n));
    return ac_buf_byte(out, '\n');
}

static int put_person(ac_buf *out, const char *key, const gperson *g) {
    AC_TRY(ac_buf_put(out, key, ac_strlen(key)));
    AC_TRY(person_git(out, g));
    return ac_buf_byte(out, '\n');
}

/* encodeTag: object, type, tag, tagger (when given), then "\n" + message unless it is empty. */
static int tag_write(ac_buf *out, const gtag *t) {
    AC_TRY(put_hex(out, "object ", t->object));
    AC_TRY(put_kv(out, "type ", t->type));
    AC_TRY(put_kv(out, "tag ", t->tag));
    if (t->has_tagger) AC_TRY(put_person(out, "tagger ", &t->tagger));
    if (t->msg.n) {
        AC_TRY(ac_buf_byte(out, '\n'));
        AC_TRY(ac_buf_put(out, t->msg.p, t->msg.n));
    }
    return out->err;
}

/* encodeCommit: a missing author or committer is written as an empty ident, as the reference does. */
static int commit_write(ac_buf *out, const gcommit *c) {
    static const gperson none;
    AC_TRY(put_hex(out, "tree ", c->tree));
    for (size_t k = 0; k < c->np; k++) AC_TRY(put_hex(out, "parent ", c->parents + k * SHA1_LEN));
    AC_TRY(put_person(out, "author ", c->has_author ? &c->author : &none));
    AC_TRY(put_person(out, "committer ", c->has_committer ? &c->committer : &none));
    if (c->has_enc) AC_TRY(put_kv(out, "encoding ", c->enc));
    for (size_t k = 0; k < c->nm; k++) {
        const gtag *t = &c->mt[k];
        AC_TRY(put_hex(out, "mergetag object ", t->object));
        AC_TRY(put_kv(out, " type ", t->type));
        AC_TRY(put_kv(out, " tag ", t->tag));
        AC_TRY(put_person(out, " tagger ", t->has_tagger ? &t->tagger : &none));
        AC_TRY(ac_buf_put(out, " \n", 2));
        AC_TRY(ac_buf_put(out, t->msg.p, t->msg.n));
    }
    if (c->has_sig) {
        AC_TRY(ac_buf_put(out, "gpgsig -----BEGIN PGP SIGNATURE-----\n", 37));
        AC_TRY(ac_buf_put(out, c->sig.p, c->sig.n));
        AC_TRY(ac_buf_put(out, " -----END PGP SIGNATURE-----\n", 29));
    }
    for (size_t k = 0; k < c->no; k++) AC_TRY(put_kv(out, "", c->other[k]));
    AC_TRY(ac_buf_byte(out, '\n'));
    return ac_buf_put(out, c->msg.p, c->msg.n);
}

/* The body before the message, when the reference encoder does not give back `body`. */
static int raw_headers(span body, span msg, int (*write)(ac_buf *, const void *), const void *model,
                       bool *has_raw, span *raw) {
    uintptr_t mark = ac_mark();
    ac_buf k;
    ac_buf_init(&k);
    AC_TRY(write(&k, model));
    *has_raw = !(k.len == body.n && memcmp(k.data, body.p, body.n) == 0);
    ac_release(mark);
    *raw = (span){ body.p, body.n - msg.n };
    return AC_OK;
}

static int commit_write_v(ac_buf *out, const void *m) { return commit_write(out, (const gcommit *)m); }
static int tag_write_v(ac_buf *out, const void *m) { return tag_write(out, (const gtag *)m); }

/* ---- emitting the data model ------------------------------------------------------------------ */

/* Keys in canonical order: tag, type, object, tagger, message, rawHeaders. */
static int tag_emit(ac_buf *out, const gtag *t) {
    AC_TRY(acw_map(out, 5 + t->has_raw));
    AC_TRY(acw_cstr(out, "tag"));
    AC_TRY(w_str(out, t->tag));
    AC_TRY(acw_cstr(out, "type"));
    AC_TRY(w_str(out, t->type));
    AC_TRY(acw_cstr(out, "object"));
    AC_TRY(w_link(out, t->object));
    AC_TRY(acw_cstr(out, "tagger"));
    AC_TRY(person_emit(out, &t->tagger));
    AC_TRY(acw_cstr(out, "message"));
    AC_TRY(w_str(out, t->msg));
    if (t->has_raw) {
        AC_TRY(acw_cstr(out, "rawHeaders"));
        AC_TRY(w_str(out, t->raw));
    }
    return out->err;
}

static int opt_person(ac_buf *out, const char *key, bool has, const gperson *g) {
    AC_TRY(acw_cstr(out, key));
    return has ? person_emit(out, g) : acw_null(out);
}

static int opt_str(ac_buf *out, const char *key, bool has, span s) {
    AC_TRY(acw_cstr(out, key));
    return has ? w_str(out, s) : acw_null(out);
}

/* Keys in canonical order: tree, other, author, message, parents, encoding, mergetag,
 * committer, signature, rawHeaders. */
static int commit_emit(ac_buf *out, const gcommit *c) {
    AC_TRY(acw_map(out, 9 + c->has_raw));
    AC_TRY(acw_cstr(out, "tree"));
    AC_TRY(w_link(out, c->tree));
    AC_TRY(acw_cstr(out, "other"));
    AC_TRY(acw_array(out, c->no));
    for (size_t k = 0; k < c->no; k++) AC_TRY(w_str(out, c->other[k]));
    AC_TRY(opt_person(out, "author", c->has_author, &c->author));
    AC_TRY(acw_cstr(out, "message"));
    AC_TRY(w_str(out, c->msg));
    AC_TRY(acw_cstr(out, "parents"));
    AC_TRY(acw_array(out, c->np));
    for (size_t k = 0; k < c->np; k++) AC_TRY(w_link(out, c->parents + k * SHA1_LEN));
    AC_TRY(opt_str(out, "encoding", c->has_enc, c->enc));
    AC_TRY(acw_cstr(out, "mergetag"));
    AC_TRY(acw_array(out, c->nm));
    for (size_t k = 0; k < c->nm; k++) AC_TRY(tag_emit(out, &c->mt[k]));
    AC_TRY(opt_person(out, "committer", c->has_committer, &c->committer));
    AC_TRY(opt_str(out, "signature", c->has_sig, c->sig));
    if (c->has_raw) {
        AC_TRY(acw_cstr(out, "rawHeaders"));
        AC_TRY(w_str(out, c->raw));
    }
    return out->err;
}

/* ---- trees ------------------------------------------------------------------------------------ */

typedef struct {
    span mode;
    uint32_t modev;
    span name;
    span key; /* the map key: the name, or its Go/DAG-JSON rendering when it is not UTF-8 */
    const uint8_t *sha;
} gent;

static bool is_dir(uint32_t mode) { return (mode & 0170000u) == 0040000u; }

/* git's tree order: names compared bytewise, a directory as if it ended in '/'. */
static int git_cmp(const gent *a, const gent *b) {
    size_t n = a->name.n < b->name.n ? a->name.n : b->name.n;
    int c = memcmp(a->name.p, b->name.p, n);
    if (c) return c;
    int c1 = n < a->name.n ? a->name.p[n] : is_dir(a->modev) ? '/' : 0;
    int c2 = n < b->name.n ? b->name.p[n] : is_dir(b->modev) ? '/' : 0;
    return c1 - c2;
}

static int key_cmp(const gent *a, const gent *b) {
    return ac_key_cmp((const char *)a->key.p, a->key.n, (const char *)b->key.p, b->key.n);
}

/* Stable bottom-up merge sort of entry pointers. */
static bool sort_ents(const gent **a, size_t n, int (*cmp)(const gent *, const gent *)) {
    if (n < 2) return true;
    const gent **tmp = (const gent **)ac_alloc(n * sizeof(*tmp));
    if (!tmp) return false;
    const gent **src = a, **dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t x = lo, y = mid, o = lo;
            while (x < mid && y < hi) dst[o++] = cmp(src[y], src[x]) < 0 ? src[y++] : src[x++];
            while (x < mid) dst[o++] = src[x++];
            while (y < hi) dst[o++] = src[y++];
        }
        const gent **t = src; src = dst; dst = t;
    }
    if (src != a) memcpy(a, src, n * sizeof(*a));
    return true;
}

/* A mode is whatever precedes the entry's first space, as go-ipld-git reads it (bufio
 * ReadString(' ')): empty, non-octal, NUL or newline included.  Its value only orders the tree
 * (git_cmp: is it a directory?): octal digits are read as git's get_mode does (unsigned,
 * wrapping), and any other mode, which git itself refuses, is no directory. */
static uint32_t mode_value(span m) {
    uint32_t x = 0;
    for (size_t i = 0; i < m.n; i++) {
        if (m.p[i] < '0' || m.p[i] > '7') return 0;
        x = x * 8 + (uint32_t)(m.p[i] - '0');
    }
    return x;
}

/* What Go's DAG-JSON writer shows for a string: each byte that does not start a valid UTF-8
 * sequence becomes U+FFFD. */
static int go_lossy(span s, span *out) {
    uint8_t *d = (uint8_t *)ac_alloc(3 * s.n + 1);
    if (!d) return ac_fail(AC_ERR_NOMEM, OOM);
    size_t k = 0;
    for (size_t i = 0; i < s.n;) {
        uint8_t c = s.p[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
        if (len && len <= s.n - i && ac_utf8_valid(s.p + i, len)) {
            memcpy(d + k, s.p + i, len);
            k += len;
            i += len;
        } else {
            d[k++] = 0xef; d[k++] = 0xbf; d[k++] = 0xbd;
            i++;
        }
    }
    *out = (span){ d, k };
    return AC_OK;
}

static int tree_parse(span body, gent **ents, size_t *count) {
    size_t cap = body.n / 22 + 1, n = 0; /* smallest entry: " \0" + 20 bytes = 22 (empty mode and name) */
    gent *e = (gent *)ac_alloc(cap * sizeof(gent));
    if (!e) return ac_fail(AC_ERR_NOMEM, OOM);
    const uint8_t *p = body.p, *end = body.p + body.n;
    while (p < end) {
        const uint8_t *sp = find_byte(p, end, ' ');
        if (!sp) return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (no space after the mode)", n);
        gent g;
        g.mode = (span){ p, (size_t)(sp - p) };
        g.modev = mode_value(g.mode);
        const uint8_t *nul = find_byte(sp + 1, end, 0);
        if (!nul) return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (no NUL after the name)", n);
        g.name = (span){ sp + 1, (size_t)(nul - sp - 1) };
        g.key = g.name;
        if ((size_t)(end - nul - 1) < SHA1_LEN)
            return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (hash shorter than 20 bytes)", n);
        g.sha = nul + 1;
        e[n++] = g; /* n < cap: every entry takes at least 22 bytes */
        p = nul + 1 + SHA1_LEN;
    }
    *ents = e;
    *count = n;
    return AC_OK;
}

static int tree_decode(span body, ac_buf *out) {
    gent *e;
    size_t n;
    AC_TRY(tree_parse(body, &e, &n));
    const gent **ix = (const gent **)ac_alloc((n ? n : 1) * sizeof(*ix));
    if (!ix) return ac_fail(AC_ERR_NOMEM, OOM);
    bool as_map = true;
    for (size_t k = 0; k < n; k++) {
        ix[k] = &e[k];
        if (!ac_utf8_valid(e[k].name.p, e[k].name.n)) AC_TRY(go_lossy(e[k].name, &e[k].key));
        if (k && git_cmp(&e[k - 1], &e[k]) >= 0) as_map = false;
    }
    if (as_map) {
        if (!sort_ents(ix, n, key_cmp)) return ac_fail(AC_ERR_NOMEM, OOM);
        for (size_t k = 1; k < n && as_map; k++)
            if (key_cmp(ix[k - 1], ix[k]) == 0) as_map = false;
    }
    if (as_map) {
        AC_TRY(acw_map(out, n));
        for (size_t k = 0; k < n; k++) {
            bool exact = ix[k]->key.p == ix[k]->name.p;
            AC_TRY(acw_text(out, (const char *)ix[k]->key.p, ix[k]->key.n));
            AC_TRY(acw_map(out, exact ? 2 : 3));
            AC_TRY(acw_cstr(out, "hash"));
            AC_TRY(w_link(out, ix[k]->sha));
            AC_TRY(acw_cstr(out, "mode"));
            AC_TRY(w_str(out, ix[k]->mode));
            if (!exact) {
                AC_TRY(acw_cstr(out, "name"));
                AC_TRY(acw_bytes(out, ix[k]->name.p, ix[k]->name.n));
            }
        }
        return out->err;
    }
    AC_TRY(acw_array(out, n));
    for (size_t k = 0; k < n; k++) {
        AC_TRY(acw_map(out, 3));
        AC_TRY(acw_cstr(out, "hash"));
        AC_TRY(w_link(out, e[k].sha));
        AC_TRY(acw_cstr(out, "mode"));
        AC_TRY(w_str(out, e[k].mode));
        AC_TRY(acw_cstr(out, "name"));
        AC_TRY(w_str(out, e[k].name));
    }
    return out->err;
}

/* ---- decode and links ----------------------------------------------------------------------- */

static int git_decode(const uint8_t *in, size_t n, ac_buf *out) {
    int type;
    span body;
    AC_TRY(parse_object(in, n, &type, &body));
    switch (type) {
    case OBJ_BLOB:
        AC_TRY(acw_bytes(out, in, n));
        return out->err;
    case OBJ_TREE:
        return tree_decode(body, out);
    case OBJ_COMMIT: {
        gcommit c;
        AC_TRY(commit_parse(body, &c));
        AC_TRY(raw_headers(body, c.msg, commit_write_v, &c, &c.has_raw, &c.raw));
        return commit_emit(out, &c);
    }
    default: {
        gtag t;
        AC_TRY(tag_parse(body, &t));
        AC_TRY(raw_headers(body, t.msg, tag_write_v, &t, &t.has_raw, &t.raw));
        return tag_emit(out, &t);
    }
    }
}

/* Collect every tag-42 link of a decoded value, in document order (commits and tags). */
static int collect_links(acr *r, ac_buf *out, size_t *count, unsigned depth) {
    size_t n;
    switch (acr_peek(r)) {
    case ACR_TAG: {
        const uint8_t *c;
        size_t cn;
        AC_TRY(acr_cid(r, &c, &cn));
        (*count)++;
        return acw_cid(out, c, cn);
    }
    case ACR_ARRAY:
        if (depth > 8) return ac_fail(AC_ERR_INTERNAL, "git value nested too deeply");
        AC_TRY(acr_array(r, &n));
        for (size_t k = 0; k < n; k++) AC_TRY(collect_links(r, out, count, depth + 1));
        return AC_OK;
    case ACR_MAP:
        if (depth > 8) return ac_fail(AC_ERR_INTERNAL, "git value nested too deeply");
        AC_TRY(acr_map(r, &n));
        for (size_t k = 0; k < n; k++) {
            AC_TRY(acr_skip(r));
            AC_TRY(collect_links(r, out, count, depth + 1));
        }
        return AC_OK;
    default:
        return acr_skip(r);
    }
}

static int git_links(const uint8_t *in, size_t n, ac_buf *out) {
    int type;
    span body;
    AC_TRY(parse_object(in, n, &type, &body));
    if (type == OBJ_TREE) {
        /* A tree's links in the object's own (git) order, as Kubo's go-ipld-git iterates a
         * tree: DAG walks and CAR exports then visit entries in the order Kubo does. */
        gent *e;
        size_t count;
        AC_TRY(tree_parse(body, &e, &count));
        AC_TRY(acw_array(out, count));
        for (size_t k = 0; k < count; k++) AC_TRY(w_link(out, e[k].sha));
        return out->err;
    }
    ac_buf dec, items;
    ac_buf_init(&dec);
    ac_buf_init(&items);
    AC_TRY(git_decode(in, n, &dec));
    acr r;
    acr_init(&r, dec.data, dec.len);
    size_t count = 0;
    AC_TRY(collect_links(&r, &items, &count, 0));
    AC_TRY(items.err);
    AC_TRY(acw_array(out, count));
    return ac_buf_put(out, items.data, items.len);
}

/* ---- encode: DAG-CBOR -> object ------------------------------------------------------------- */

/* A text item into a span (no pointer punning between char and uint8_t). */
static int r_text(acr *r, span *s) {
    const char *p;
    AC_TRY(acr_text(r, &p, &s->n));
    s->p = (const uint8_t *)p;
    return AC_OK;
}

/* A string field: text or bytes. */
static int r_str(acr *r, span *s, const char *what) {
    int t = acr_peek(r);
    if (t == ACR_TEXT) return r_text(r, s);
    if (t == ACR_BYTES) return acr_bytes(r, &s->p, &s->n);
    return ac_failf(AC_ERR_INVALID, "%s must be a string or bytes", what);
}

/* A one-line string field (no newline). */
static int r_line(acr *r, span *s, const char *what) {
    AC_TRY(r_str(r, s, what));
    if (has_byte(*s, '\n')) return ac_failf(AC_ERR_INVALID, "%s must not contain a newline", what);
    return AC_OK;
}

static int r_link(acr *r, uint8_t *sha, const char *what) {
    if (acr_peek(r) != ACR_TAG) return ac_failf(AC_ERR_INVALID, "%s must be a link", what);
    const uint8_t *c;
    size_t cn;
    AC_TRY(acr_cid(r, &c, &cn));
    if (cn != 4 + SHA1_LEN || c[0] != 0x01 || c[1] != GIT_RAW || c[2] != SHA1_MH || c[3] != SHA1_LEN)
        return ac_failf(AC_ERR_INVALID, "%s must be a git-raw CIDv1 with a sha1 multihash", what);
    memcpy(sha, c + 4, SHA1_LEN);
    return AC_OK;
}

/* The fields of one map, read in a single pass so lookups do not rescan it (a map with a
 * huge "other" list would otherwise be walked once per field). */
#define MAX_FIELDS 10
typedef struct {
    const char *const *names; /* NULL-terminated, at most MAX_FIELDS */
    const char *what;
    acr v[MAX_FIELDS];
    bool has[MAX_FIELDS];
} fields;

/* Every key of the map at r must be in `names`; r is not advanced. */
static int read_fields(const acr *r, const char *const *names, const char *what, fields *f) {
    f->names = names;
    f->what = what;
    memset(f->has, 0, sizeof f->has);
    acr c = *r;
    size_t n;
    AC_TRY(acr_map(&c, &n));
    for (size_t k = 0; k < n; k++) {
        span key;
        AC_TRY(r_text(&c, &key));
        size_t i = 0;
        while (names[i] && !span_is(key, names[i])) i++;
        if (!names[i]) return ac_failf(AC_ERR_INVALID, "%s has an unknown field", what);
        f->v[i] = c;
        f->has[i] = true;
        AC_TRY(acr_skip(&c));
    }
    return AC_OK;
}

/* *v positioned at the value of key; *found false when absent or null. */
static int field(const fields *f, const char *key, acr *v, bool *found) {
    size_t i = 0, n = ac_strlen(key);
    while (f->names[i] && !(ac_strlen(f->names[i]) == n && memcmp(f->names[i], key, n) == 0)) i++;
    if (!f->names[i]) return ac_fail(AC_ERR_INTERNAL, "field lookup of an undeclared name");
    acr probe = f->v[i];
    *found = f->has[i] && !acr_try_null(&probe);
    if (*found) *v = f->v[i];
    return AC_OK;
}

static int need(const fields *f, const char *key, acr *v) {
    bool found;
    AC_TRY(field(f, key, v, &found));
    if (!found) return ac_failf(AC_ERR_INVALID, "%s is missing '%s'", f->what, key);
    return AC_OK;
}

static int person_read(const acr *r, const char *what, gperson *g) {
    static const char *const keys[] = { "date", "name", "email", "timezone", 0 };
    if (acr_peek(r) != ACR_MAP) return ac_failf(AC_ERR_INVALID, "%s must be a map", what);
    fields f;
    AC_TRY(read_fields(r, keys, what, &f));
    acr v;
    AC_TRY(need(&f, "name", &v));
    AC_TRY(r_line(&v, &g->name, "a person's name"));
    AC_TRY(need(&f, "email", &v));
    AC_TRY(r_line(&v, &g->email, "a person's email"));
    AC_TRY(need(&f, "date", &v));
    AC_TRY(r_line(&v, &g->date, "a person's date"));
    AC_TRY(need(&f, "timezone", &v));
    AC_TRY(r_line(&v, &g->tz, "a person's timezone"));
    if (has_byte(g->date, ' ') || has_byte(g->tz, ' '))
        return ac_failf(AC_ERR_INVALID, "%s: date and timezone must not contain spaces", what);
    return AC_OK;
}

/* Lines of a multi-line value written inside a header: each starts with ' ' and ends '\n'. */
static int check_folded(span s, const char *what) {
    for (size_t i = 0; i < s.n;) {
        const uint8_t *nl = find_byte(s.p + i, s.p + s.n, '\n');
        if (s.p[i] != ' ' || !nl)
            return ac_failf(AC_ERR_INVALID, "%s must be lines that each start with a space and end with a newline", what);
        i = (size_t)(nl - s.p) + 1;
    }
    return AC_OK;
}

/* A signature the reference reads back: its first line " " (or " Version: ..."/" Comment: ..."),
 * every line ended by '\n', none of them the END line the encoder adds. */
static int check_sig(span s) {
    span first = { s.p, 0 };
    const uint8_t *nl = find_byte(s.p, s.p + s.n, '\n');
    if (nl) first.n = (size_t)(nl - s.p);
    if (!nl || s.p[s.n - 1] != '\n' ||
        !(span_is(first, " ") || has_prefix(first, " Version: ") || has_prefix(first, " Comment: ")))
        return ac_fail(AC_ERR_INVALID, "a commit signature is the lines between the PGP armour lines, each ended by a "
                                       "newline, the first one \" \" (or \" Version: ...\")");
    for (size_t i = 0; i < s.n;) {
        const uint8_t *e = find_byte(s.p + i, s.p + s.n, '\n');
        if (span_is((span){ s.p + i, (size_t)(e - s.p) - i }, " -----END PGP SIGNATURE-----"))
            return ac_fail(AC_ERR_INVALID, "a commit signature must not contain the END armour line");
        i = (size_t)(e - s.p) + 1;
    }
    return AC_OK;
}

static int tag_read(const acr *r, gtag *t, bool mergetag) {
    static const char *const keys[] = { "tag", "type", "object", "tagger", "message", "rawHeaders", 0 };
    const char *what = mergetag ? "a mergetag" : "tag";
    fields f;
    memset(t, 0, sizeof *t);
    AC_TRY(read_fields(r, keys, what, &f));
    acr v;
    AC_TRY(need(&f, "object", &v));
    AC_TRY(r_link(&v, t->object, "tag object"));
    t->has_object = true;
    AC_TRY(need(&f, "type", &v));
    AC_TRY(r_line(&v, &t->type, "tag type"));
    AC_TRY(need(&f, "tag", &v));
    AC_TRY(r_line(&v, &t->tag, "tag name"));
    AC_TRY(field(&f, "tagger", &v, &t->has_tagger));
    if (t->has_tagger) AC_TRY(person_read(&v, "tagger", &t->tagger));
    bool found;
    AC_TRY(field(&f, "message", &v, &found));
    if (found) AC_TRY(r_str(&v, &t->msg, "tag message"));
    AC_TRY(field(&f, "rawHeaders", &v, &t->has_raw));
    if (t->has_raw && mergetag) return ac_fail(AC_ERR_INVALID, "a mergetag has no 'rawHeaders'");
    if (t->has_raw) AC_TRY(r_str(&v, &t->raw, "tag rawHeaders"));
    if (mergetag) AC_TRY(check_folded(t->msg, "a mergetag message"));
    return AC_OK;
}

static int commit_read(const acr *r, gcommit *c) {
    static const char *const keys[] = { "tree", "parents", "author", "committer", "encoding",
                                        "mergetag", "signature", "other", "message", "rawHeaders", 0 };
    fields f;
    memset(c, 0, sizeof *c);
    AC_TRY(read_fields(r, keys, "commit", &f));
    acr v;
    bool found;
    size_t n;
    AC_TRY(need(&f, "tree", &v));
    AC_TRY(r_link(&v, c->tree, "commit tree"));
    c->has_tree = true;
    AC_TRY(field(&f, "parents", &v, &found));
    if (found) {
        if (acr_peek(&v) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "commit parents must be a list");
        AC_TRY(acr_array(&v, &n));
        if (n > acr_left(&v)) return ac_fail(AC_ERR_INVALID, "truncated commit parents");
        c->parents = (uint8_t *)ac_alloc((n ? n : 1) * SHA1_LEN);
        if (!c->parents) return ac_fail(AC_ERR_NOMEM, OOM);
        for (c->np = 0; c->np < n; c->np++) AC_TRY(r_link(&v, c->parents + c->np * SHA1_LEN, "commit parent"));
    }
    AC_TRY(field(&f, "author", &v, &c->has_author));
    if (c->has_author) AC_TRY(person_read(&v, "author", &c->author));
    AC_TRY(field(&f, "committer", &v, &c->has_committer));
    if (c->has_committer) AC_TRY(person_read(&v, "committer", &c->committer));
    AC_TRY(field(&f, "encoding", &v, &c->has_enc));
    if (c->has_enc) AC_TRY(r_line(&v, &c->enc, "commit encoding"));
    AC_TRY(field(&f, "mergetag", &v, &found));
    if (found) {
        if (acr_peek(&v) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "commit mergetag must be a list");
        AC_TRY(acr_array(&v, &n));
        if (n > acr_left(&v)) return ac_fail(AC_ERR_INVALID, "truncated commit mergetag");
        c->mt = (gtag *)ac_alloc((n ? n : 1) * sizeof(gtag));
        if (!c->mt) return ac_fail(AC_ERR_NOMEM, OOM);
        for (c->nm = 0; c->nm < n; c->nm++) {
            if (acr_peek(&v) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "commit mergetag items must be tags");
            AC_TRY(tag_read(&v, &c->mt[c->nm], true));
            AC_TRY(acr_skip(&v));
        }
    }
    AC_TRY(field(&f, "signature", &v, &c->has_sig));
    if (c->has_sig) {
        AC_TRY(r_str(&v, &c->sig, "commit signature"));
        AC_TRY(check_sig(c->sig));
    }
    AC_TRY(field(&f, "other", &v, &found));
    if (found) {
        if (acr_peek(&v) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "commit other must be a list");
        AC_TRY(acr_array(&v, &n));
        if (n > acr_left(&v)) return ac_fail(AC_ERR_INVALID, "truncated commit other");
        c->other = (span *)ac_alloc((n ? n : 1) * sizeof(span));
        if (!c->other) return ac_fail(AC_ERR_NOMEM, OOM);
        for (c->no = 0; c->no < n; c->no++) {
            span s;
            AC_TRY(r_line(&v, &s, "a commit other line"));
            if (s.n == 0 || has_prefix(s, "tree ") || has_prefix(s, "parent ") || has_prefix(s, "mergetag object "))
                return ac_fail(AC_ERR_INVALID, "a commit other line must be non-empty and not a tree, parent or mergetag line");
            c->other[c->no] = s;
        }
    }
    AC_TRY(field(&f, "message", &v, &found));
    if (found) AC_TRY(r_str(&v, &c->msg, "commit message"));
    AC_TRY(field(&f, "rawHeaders", &v, &c->has_raw));
    if (c->has_raw) AC_TRY(r_str(&v, &c->raw, "commit rawHeaders"));
    return AC_OK;
}

static int tree_body(ac_buf *out, const acr *r) {
    acr c = *r;
    size_t n;
    bool is_list = acr_peek(&c) == ACR_ARRAY;
    if (is_list) AC_TRY(acr_array(&c, &n));
    else AC_TRY(acr_map(&c, &n));
    if (n > acr_left(&c)) return ac_fail(AC_ERR_INVALID, "truncated tree");
    gent *e = (gent *)ac_alloc((n ? n : 1) * sizeof(gent));
    const gent **ix = (const gent **)ac_alloc((n ? n : 1) * sizeof(*ix));
    uint8_t *shas = (uint8_t *)ac_alloc((n ? n : 1) * SHA1_LEN);
    if (!e || !ix || !shas) return ac_fail(AC_ERR_NOMEM, OOM);
    static const char *const entry_keys[] = { "hash", "mode", "name", 0 };
    for (size_t k = 0; k < n; k++) {
        acr v;
        if (!is_list) AC_TRY(r_text(&c, &e[k].key));
        if (acr_peek(&c) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "tree entries must be maps");
        fields f;
        AC_TRY(read_fields(&c, entry_keys, "tree entry", &f));
        bool named;
        AC_TRY(field(&f, "name", &v, &named));
        if (is_list) {
            AC_TRY(need(&f, "name", &v));
            AC_TRY(r_str(&v, &e[k].name, "tree entry name"));
        } else if (named) {
            /* the extension for a name that is not UTF-8: its key is the name as Go shows it */
            if (acr_peek(&v) != ACR_BYTES) return ac_fail(AC_ERR_INVALID, "a tree entry's 'name' must be bytes");
            AC_TRY(acr_bytes(&v, &e[k].name.p, &e[k].name.n));
            span shown;
            AC_TRY(go_lossy(e[k].name, &shown));
            if (ac_utf8_valid(e[k].name.p, e[k].name.n) || shown.n != e[k].key.n ||
                memcmp(shown.p, e[k].key.p, shown.n) != 0)
                return ac_fail(AC_ERR_INVALID, "a tree entry's 'name' is only for a name that is not UTF-8, "
                                               "under its key with U+FFFD for each invalid byte");
        } else {
            e[k].name = e[k].key;
        }
        if (has_byte(e[k].name, 0)) return ac_fail(AC_ERR_INVALID, "tree entry names must not contain NUL");
        AC_TRY(need(&f, "mode", &v));
        bool mode_bytes = acr_peek(&v) == ACR_BYTES;
        AC_TRY(r_str(&v, &e[k].mode, "tree entry mode"));
        if (mode_bytes && ac_utf8_valid(e[k].mode.p, e[k].mode.n))
            return ac_fail(AC_ERR_INVALID, "a tree entry mode is bytes only when it is not UTF-8; give it as a string");
        if (has_byte(e[k].mode, ' '))
            return ac_fail(AC_ERR_INVALID, "a tree entry mode must not contain a space (it ends the mode)");
        e[k].modev = mode_value(e[k].mode);
        AC_TRY(need(&f, "hash", &v));
        AC_TRY(r_link(&v, shas + k * SHA1_LEN, "tree entry hash"));
        e[k].sha = shas + k * SHA1_LEN;
        ix[k] = &e[k];
        AC_TRY(acr_skip(&c));
    }
    if (!is_list && !sort_ents(ix, n, git_cmp)) return ac_fail(AC_ERR_NOMEM, OOM);
    for (size_t k = 0; k < n; k++) {
        AC_TRY(ac_buf_put(out, ix[k]->mode.p, ix[k]->mode.n));
        AC_TRY(ac_buf_byte(out, ' '));
        AC_TRY(ac_buf_put(out, ix[k]->name.p, ix[k]->name.n));
        AC_TRY(ac_buf_byte(out, 0));
        AC_TRY(ac_buf_put(out, ix[k]->sha, SHA1_LEN));
    }
    return out->err;
}

/* *yes when the map at r has a link under key (how commits and tags are told from trees). */
static int link_under(const acr *r, const char *key, bool *yes) {
    acr c = *r, v;
    bool found;
    AC_TRY(acr_find(&c, key, &v, &found));
    *yes = found && acr_peek(&v) == ACR_TAG;
    return AC_OK;
}

/* "<type> <size>\0" in front of the body already in out. */
static int prepend_header(ac_buf *out, const char *type) {
    char hdr[32];
    size_t body = out->len, k = ac_strlen(type);
    memcpy(hdr, type, k);
    hdr[k++] = ' ';
    char dec[24];
    size_t d = sizeof dec, v = body;
    do { dec[--d] = (char)('0' + v % 10); v /= 10; } while (v);
    memcpy(hdr + k, dec + d, sizeof dec - d);
    k += sizeof dec - d;
    hdr[k++] = 0;
    if (!ac_buf_extend(out, k)) return out->err;
    memmove(out->data + k, out->data, body);
    memcpy(out->data, hdr, k);
    return out->err;
}

/* With rawHeaders: rawHeaders + message, refused unless it decodes back to exactly `in`. */
static int write_raw(ac_buf *out, span raw, span msg, const char *type, const uint8_t *in, size_t n) {
    AC_TRY(ac_buf_put(out, raw.p, raw.n));
    AC_TRY(ac_buf_put(out, msg.p, msg.n));
    AC_TRY(prepend_header(out, type));
    ac_buf check;
    ac_buf_init(&check);
    uintptr_t mark = ac_mark();
    int st = git_decode(out->data, out->len, &check);
    bool same = st == AC_OK && check.len == n && memcmp(check.data, in, n) == 0;
    ac_release(mark);
    if (!same)
        return ac_failf(AC_ERR_INVALID, "%s 'rawHeaders' and the other fields disagree (the object they make "
                                        "decodes differently); drop 'rawHeaders' to write the fields alone", type);
    return AC_OK;
}

static int git_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    int t = acr_peek(&r);
    if (t == ACR_BYTES) {
        const uint8_t *p;
        size_t bn;
        AC_TRY(acr_bytes(&r, &p, &bn));
        AC_TRY(acr_finish(&r));
        int type;
        span body;
        if (parse_object(p, bn, &type, &body) || type != OBJ_BLOB)
            return ac_fail(AC_ERR_INVALID, "a blob is the whole object: \"blob <size>\\0\" followed by the content");
        return ac_buf_put(out, p, bn);
    }
    if (t == ACR_ARRAY) {
        AC_TRY(tree_body(out, &r));
        AC_TRY(acr_skip(&r));
        AC_TRY(acr_finish(&r));
        return prepend_header(out, "tree");
    }
    if (t != ACR_MAP)
        return ac_fail(AC_ERR_INVALID, "a git object is bytes (blob), a map (commit, tag or tree) or a list (tree)");
    bool commit, tag = false;
    AC_TRY(link_under(&r, "tree", &commit));
    if (!commit) AC_TRY(link_under(&r, "object", &tag));
    acr whole = r;
    AC_TRY(acr_skip(&whole));
    AC_TRY(acr_finish(&whole));
    if (commit) {
        gcommit c;
        AC_TRY(commit_read(&r, &c));
        if (c.has_raw) return write_raw(out, c.raw, c.msg, "commit", in, n);
        AC_TRY(commit_write(out, &c));
        return prepend_header(out, "commit");
    }
    if (tag) {
        gtag g;
        AC_TRY(tag_read(&r, &g, false));
        if (g.has_raw) return write_raw(out, g.raw, g.msg, "tag", in, n);
        AC_TRY(tag_write(out, &g));
        return prepend_header(out, "tag");
    }
    AC_TRY(tree_body(out, &r));
    return prepend_header(out, "tree");
}

AC_EXPORT_CODEC(git_decode, git_encode, git_links)
