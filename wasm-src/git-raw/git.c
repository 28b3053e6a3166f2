/*
 * git.c - git loose objects as an autocodec codec (git-raw, multicodec 0x78), ABI v1.
 *
 * A block is a whole object, "<type> <size>\0<body>", so its sha1 is the git object id.
 * The data model follows go-ipld-git's schema where that is faithful; README.md beside
 * this file gives the exact shapes and the fallbacks summarised here.
 *
 *   blob   -> bytes (the content, without the header)
 *   tree   -> {name: {"mode": "100644", "hash": link}}; a tree whose names are not all
 *             UTF-8, not unique, or not in git's order becomes a list
 *             [{"name", "mode", "hash"}] in stored order instead
 *   commit -> {"tree", "parents", "author"?, "committer"?, "encoding"?, "mergetag": [tag],
 *             "signature"?, "other": [raw header], "message"?}
 *   tag    -> {"object", "type", "tag", "tagger"?, "other"?, "message"?}
 *   person -> {"name", "email", "date", "timezone"}
 *
 * Invariants:
 *   - encode(decode(b)) == b for every block decode accepts: each header that would not
 *     re-serialise to its exact bytes in its structured slot (odd ident, out-of-order
 *     header, continuation lines where none belong) is kept verbatim in "other", and every
 *     header after it too, so order is preserved.
 *   - Text that is not strict UTF-8 (names, messages, any header value) is emitted as
 *     bytes instead of a string; encode accepts either kind for every string field.
 *   - Links are CIDv1 git-raw (0x78) with sha1 multihashes (0x11, 20 bytes); hashes in the
 *     text are exactly 40 lowercase hex digits, anything else is AC_ERR_INVALID.
 *   - Malformed objects (bad header, size mismatch, truncated tree entry, bad mode,
 *     unterminated header, missing tree/object) are AC_ERR_INVALID with a message.
 *   - ac_links returns exactly the links of the decoded value (tree entries, tree and
 *     parents, mergetag objects, tag object).
 */
#include "ac.h"

#define GIT_RAW 0x78
#define SHA1_MH 0x11
#define SHA1_LEN 20

/* ---- small helpers ------------------------------------------------------------------ */


typedef struct { const uint8_t *p; size_t n; } span;

static bool span_is(span s, const char *lit) {
    size_t n = ac_strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static const uint8_t *find_byte(const uint8_t *p, const uint8_t *end, uint8_t c) {
    for (; p < end; p++)
        if (*p == c) return p;
    return 0;
}

/* Text when it is strict UTF-8, bytes otherwise. */
static int w_str(ac_buf *out, span s) {
    return ac_utf8_valid(s.p, s.n) ? acw_text(out, (const char *)s.p, s.n) : acw_bytes(out, s.p, s.n);
}

static int w_link(ac_buf *out, const uint8_t *sha) {
    uint8_t cid[4 + SHA1_LEN] = { 0x01, GIT_RAW, SHA1_MH, SHA1_LEN };
    memcpy(cid + 4, sha, SHA1_LEN);
    return acw_cid(out, cid, sizeof cid);
}

/* 40 lowercase hex digits -> 20 bytes. */
static bool hex40(span s, uint8_t *sha) {
    if (s.n != 2 * SHA1_LEN) return false;
    for (size_t i = 0; i < s.n; i++) {
        uint8_t c = s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    }
    return ac_hex_decode((const char *)s.p, s.n, sha) == AC_OK;
}

/* ---- object header ---------------------------------------------------------------------- */

enum { OBJ_BLOB, OBJ_TREE, OBJ_COMMIT, OBJ_TAG };

static int parse_object(const uint8_t *in, size_t n, int *type, span *body) {
    const uint8_t *end = in + n, *sp = find_byte(in, end, ' ');
    if (!sp) return ac_fail(AC_ERR_INVALID, "bad object header: no space after the type");
    span t = { in, (size_t)(sp - in) };
    if (span_is(t, "blob")) *type = OBJ_BLOB;
    else if (span_is(t, "tree")) *type = OBJ_TREE;
    else if (span_is(t, "commit")) *type = OBJ_COMMIT;
    else if (span_is(t, "tag")) *type = OBJ_TAG;
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

/* ---- header lines (commits and tags) ----------------------------------------------------- */

typedef struct {
    span key;   /* up to the first space of the first line */
    span raw;   /* the whole header, continuation lines included, without the final '\n' */
    span val;   /* after "key ", continuation lines still folded */
    bool has_val;
    bool multi; /* has continuation lines */
} ghdr;

typedef struct {
    ghdr *h;
    size_t n;
    bool has_msg;
    span msg;
} ghdrs;

static const char OOM[] = "out of memory";

static int parse_status(const char *err) { return err == OOM ? AC_ERR_NOMEM : AC_ERR_INVALID; }

/* Split a body into header lines and a message.  Returns NULL, OOM or an error message. */
static const char *split_headers(span b, ghdrs *out) {
    size_t cap = 8, n = 0, pos = 0;
    ghdr *h = (ghdr *)ac_alloc(cap * sizeof(ghdr));
    if (!h) return OOM;
    out->has_msg = false;
    while (pos < b.n && b.p[pos] != '\n') {
        const uint8_t *start = b.p + pos, *end = b.p + b.n;
        const uint8_t *nl = find_byte(start, end, '\n');
        if (!nl) return "unterminated header line";
        const uint8_t *sp = find_byte(start, nl, ' ');
        ghdr g;
        g.key.p = start;
        g.key.n = (size_t)((sp ? sp : nl) - start);
        g.has_val = sp != 0;
        g.multi = false;
        while (nl + 1 < end && nl[1] == ' ') {
            const uint8_t *nx = find_byte(nl + 1, end, '\n');
            if (!nx) return "unterminated header continuation line";
            nl = nx;
            g.multi = true;
        }
        g.raw.p = start;
        g.raw.n = (size_t)(nl - start);
        g.val.p = sp ? sp + 1 : nl;
        g.val.n = sp ? (size_t)(nl - sp - 1) : 0;
        if (n == cap) {
            ghdr *bigger = (ghdr *)ac_alloc(2 * cap * sizeof(ghdr));
            if (!bigger) return OOM;
            memcpy(bigger, h, n * sizeof(ghdr));
            h = bigger;
            cap *= 2;
        }
        h[n++] = g;
        pos = (size_t)(nl - b.p) + 1;
    }
    if (pos < b.n) { /* b.p[pos] == '\n': the blank line */
        out->has_msg = true;
        out->msg.p = b.p + pos + 1;
        out->msg.n = b.n - pos - 1;
    }
    out->h = h;
    out->n = n;
    return 0;
}

/* Remove the space after each '\n' (continuation lines); false when out of memory. */
static bool unfold(span v, span *out, bool add_nl) {
    uint8_t *d = (uint8_t *)ac_alloc(v.n + 1);
    if (!d) return false;
    size_t k = 0;
    for (size_t i = 0; i < v.n; i++) {
        d[k++] = v.p[i];
        if (v.p[i] == '\n') i++; /* split_headers guarantees a space follows */
    }
    if (add_nl) d[k++] = '\n';
    out->p = d;
    out->n = k;
    return true;
}

/* ---- people: "name <email> date tz" ---------------------------------------------------- */

typedef struct { span name, email, date, tz; } gperson;

static bool is_digits(span s) {
    if (s.n == 0) return false;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '0' || s.p[i] > '9') return false;
    return true;
}

static bool tz_ok(span s) {
    span d = { s.p + 1, 4 };
    return s.n == 5 && (s.p[0] == '+' || s.p[0] == '-') && is_digits(d);
}

/* True when v is exactly what person_write would produce from the parts. */
static bool person_parse(span v, gperson *g) {
    const uint8_t *end = v.p + v.n, *lt = find_byte(v.p, end, '<');
    if (!lt || lt == v.p || lt[-1] != ' ') return false;
    const uint8_t *gt = find_byte(lt + 1, end, '>');
    if (!gt || gt + 1 >= end || gt[1] != ' ') return false;
    const uint8_t *ds = gt + 2, *sp = find_byte(ds, end, ' ');
    if (!sp) return false;
    g->name = (span){ v.p, (size_t)(lt - 1 - v.p) };
    g->email = (span){ lt + 1, (size_t)(gt - lt - 1) };
    g->date = (span){ ds, (size_t)(sp - ds) };
    g->tz = (span){ sp + 1, (size_t)(end - sp - 1) };
    return is_digits(g->date) && tz_ok(g->tz) && !find_byte(v.p, end, '\n');
}

static int person_emit(ac_buf *out, const gperson *g) {
    AC_TRY(acw_map(out, 4));
    AC_TRY(acw_cstr(out, "date"));
    AC_TRY(acw_text(out, (const char *)g->date.p, g->date.n));
    AC_TRY(acw_cstr(out, "name"));
    AC_TRY(w_str(out, g->name));
    AC_TRY(acw_cstr(out, "email"));
    AC_TRY(w_str(out, g->email));
    AC_TRY(acw_cstr(out, "timezone"));
    return acw_text(out, (const char *)g->tz.p, g->tz.n);
}

/* ---- tags (objects and mergetags) ------------------------------------------------------ */

typedef struct {
    uint8_t object[SHA1_LEN];
    span type, tag;
    bool has_tagger;
    gperson tagger;
    span *other;
    size_t nother;
    bool has_msg;
    span msg;
} gtag;

static bool single(const ghdr *h, const char *key) {
    return span_is(h->key, key) && h->has_val && !h->multi;
}

/* Returns NULL, OOM or an error message. */
static const char *tag_parse(span body, gtag *t) {
    ghdrs hs;
    const char *err = split_headers(body, &hs);
    if (err) return err;
    if (hs.n < 3 || !single(&hs.h[0], "object") || !hex40(hs.h[0].val, t->object))
        return "tag: the first header must be 'object <40 lowercase hex>'";
    if (!single(&hs.h[1], "type")) return "tag: the second header must be 'type'";
    if (!single(&hs.h[2], "tag")) return "tag: the third header must be 'tag'";
    t->type = hs.h[1].val;
    t->tag = hs.h[2].val;
    size_t i = 3;
    t->has_tagger = i < hs.n && single(&hs.h[i], "tagger") && person_parse(hs.h[i].val, &t->tagger);
    if (t->has_tagger) i++;
    t->nother = hs.n - i;
    t->other = (span *)ac_alloc((t->nother ? t->nother : 1) * sizeof(span));
    if (!t->other) return OOM;
    for (size_t k = 0; k < t->nother; k++) t->other[k] = hs.h[i + k].raw;
    t->has_msg = hs.has_msg;
    t->msg = hs.msg;
    return 0;
}

/* Keys in canonical order: tag, type, other, object, tagger, message. */
static int tag_emit(ac_buf *out, const gtag *t) {
    AC_TRY(acw_map(out, 3 + (t->nother > 0) + t->has_tagger + t->has_msg));
    AC_TRY(acw_cstr(out, "tag"));
    AC_TRY(w_str(out, t->tag));
    AC_TRY(acw_cstr(out, "type"));
    AC_TRY(w_str(out, t->type));
    if (t->nother) {
        AC_TRY(acw_cstr(out, "other"));
        AC_TRY(acw_array(out, t->nother));
        for (size_t k = 0; k < t->nother; k++) AC_TRY(w_str(out, t->other[k]));
    }
    AC_TRY(acw_cstr(out, "object"));
    AC_TRY(w_link(out, t->object));
    if (t->has_tagger) {
        AC_TRY(acw_cstr(out, "tagger"));
        AC_TRY(person_emit(out, &t->tagger));
    }
    if (t->has_msg) {
        AC_TRY(acw_cstr(out, "message"));
        AC_TRY(w_str(out, t->msg));
    }
    return out->err;
}

/* ---- commits ------------------------------------------------------------------------------- */

static int commit_decode(span body, ac_buf *out) {
    ghdrs hs;
    const char *err = split_headers(body, &hs);
    if (err) return ac_failf(parse_status(err), "commit: %s", err);
    uint8_t tree[SHA1_LEN];
    if (hs.n == 0 || !single(&hs.h[0], "tree") || !hex40(hs.h[0].val, tree))
        return ac_fail(AC_ERR_INVALID, "commit: the first header must be 'tree <40 lowercase hex>'");
    size_t i = 1, np = 0;
    uint8_t *parents = (uint8_t *)ac_alloc(hs.n * SHA1_LEN);
    if (!parents) return ac_fail(AC_ERR_NOMEM, "out of memory");
    for (; i < hs.n && span_is(hs.h[i].key, "parent"); i++, np++)
        if (!single(&hs.h[i], "parent") || !hex40(hs.h[i].val, parents + np * SHA1_LEN))
            return ac_fail(AC_ERR_INVALID, "commit: bad parent (want 'parent <40 lowercase hex>')");

    /* The remaining headers fill structured slots while they come in the order encode
     * writes them; the first one that does not fit, and all after it, stay verbatim. */
    enum { ST_AUTHOR = 1, ST_COMMITTER, ST_ENCODING, ST_MERGETAG, ST_SIG, ST_OTHER };
    int stage = 0;
    bool has_author = false, has_committer = false, has_enc = false, has_sig = false;
    gperson author, committer;
    span enc = { 0, 0 }, sig = { 0, 0 };
    size_t nmax = 0;
    for (size_t k = i; k < hs.n; k++) nmax += span_is(hs.h[k].key, "mergetag");
    gtag *mtags = (gtag *)ac_alloc((nmax ? nmax : 1) * sizeof(gtag));
    span *other = (span *)ac_alloc((hs.n ? hs.n : 1) * sizeof(span));
    if (!mtags || !other) return ac_fail(AC_ERR_NOMEM, "out of memory");
    size_t nm = 0, no = 0;
    for (; i < hs.n; i++) {
        const ghdr *h = &hs.h[i];
        if (stage < ST_AUTHOR && single(h, "author") && person_parse(h->val, &author)) {
            has_author = true;
            stage = ST_AUTHOR;
        } else if (stage < ST_COMMITTER && single(h, "committer") && person_parse(h->val, &committer)) {
            has_committer = true;
            stage = ST_COMMITTER;
        } else if (stage < ST_ENCODING && single(h, "encoding")) {
            has_enc = true;
            enc = h->val;
            stage = ST_ENCODING;
        } else if (stage <= ST_MERGETAG && span_is(h->key, "mergetag") && h->has_val) {
            span tb;
            if (!unfold(h->val, &tb, true)) return ac_fail(AC_ERR_NOMEM, "out of memory");
            const char *terr = tag_parse(tb, &mtags[nm]);
            if (terr == OOM) return ac_fail(AC_ERR_NOMEM, OOM);
            if (!terr) {
                nm++;
                stage = ST_MERGETAG;
            } else {
                other[no++] = h->raw;
                stage = ST_OTHER;
            }
        } else if (stage < ST_SIG && span_is(h->key, "gpgsig") && h->has_val) {
            if (!unfold(h->val, &sig, false)) return ac_fail(AC_ERR_NOMEM, "out of memory");
            has_sig = true;
            stage = ST_SIG;
        } else {
            other[no++] = h->raw;
            stage = ST_OTHER;
        }
    }

    /* Keys in canonical order: tree, other, author, message, parents, encoding, mergetag,
     * committer, signature. */
    AC_TRY(acw_map(out, 4 + has_author + hs.has_msg + has_enc + has_committer + has_sig));
    AC_TRY(acw_cstr(out, "tree"));
    AC_TRY(w_link(out, tree));
    AC_TRY(acw_cstr(out, "other"));
    AC_TRY(acw_array(out, no));
    for (size_t k = 0; k < no; k++) AC_TRY(w_str(out, other[k]));
    if (has_author) {
        AC_TRY(acw_cstr(out, "author"));
        AC_TRY(person_emit(out, &author));
    }
    if (hs.has_msg) {
        AC_TRY(acw_cstr(out, "message"));
        AC_TRY(w_str(out, hs.msg));
    }
    AC_TRY(acw_cstr(out, "parents"));
    AC_TRY(acw_array(out, np));
    for (size_t k = 0; k < np; k++) AC_TRY(w_link(out, parents + k * SHA1_LEN));
    if (has_enc) {
        AC_TRY(acw_cstr(out, "encoding"));
        AC_TRY(w_str(out, enc));
    }
    AC_TRY(acw_cstr(out, "mergetag"));
    AC_TRY(acw_array(out, nm));
    for (size_t k = 0; k < nm; k++) AC_TRY(tag_emit(out, &mtags[k]));
    if (has_committer) {
        AC_TRY(acw_cstr(out, "committer"));
        AC_TRY(person_emit(out, &committer));
    }
    if (has_sig) {
        AC_TRY(acw_cstr(out, "signature"));
        AC_TRY(w_str(out, sig));
    }
    return out->err;
}

/* ---- trees ------------------------------------------------------------------------------------ */

typedef struct {
    span mode;
    uint32_t modev;
    span name;
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
    return ac_key_cmp((const char *)a->name.p, a->name.n, (const char *)b->name.p, b->name.n);
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

static bool mode_parse(span m, uint32_t *v) {
    if (m.n == 0 || m.n > 7) return false;
    uint32_t x = 0;
    for (size_t i = 0; i < m.n; i++) {
        if (m.p[i] < '0' || m.p[i] > '7') return false;
        x = x * 8 + (uint32_t)(m.p[i] - '0');
    }
    *v = x;
    return true;
}

static int tree_parse(span body, gent **ents, size_t *count) {
    size_t cap = body.n / 23 + 1, n = 0; /* smallest entry: "0 \0" + 20 bytes = 23 */
    gent *e = (gent *)ac_alloc(cap * sizeof(gent));
    if (!e) return ac_fail(AC_ERR_NOMEM, "out of memory");
    const uint8_t *p = body.p, *end = body.p + body.n;
    while (p < end) {
        const uint8_t *sp = find_byte(p, end, ' ');
        if (!sp) return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (no space after the mode)", n);
        gent g;
        g.mode = (span){ p, (size_t)(sp - p) };
        if (!mode_parse(g.mode, &g.modev))
            return ac_failf(AC_ERR_INVALID, "bad mode in tree entry %zu (want 1-7 octal digits)", n);
        const uint8_t *nul = find_byte(sp + 1, end, 0);
        if (!nul) return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (no NUL after the name)", n);
        g.name = (span){ sp + 1, (size_t)(nul - sp - 1) };
        if ((size_t)(end - nul - 1) < SHA1_LEN)
            return ac_failf(AC_ERR_INVALID, "truncated tree entry %zu (hash shorter than 20 bytes)", n);
        g.sha = nul + 1;
        e[n++] = g; /* n < cap: every entry takes at least 23 bytes */
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
    if (!ix) return ac_fail(AC_ERR_NOMEM, "out of memory");
    bool as_map = true;
    for (size_t k = 0; k < n; k++) {
        ix[k] = &e[k];
        if (!ac_utf8_valid(e[k].name.p, e[k].name.n) || (k && git_cmp(&e[k - 1], &e[k]) >= 0)) as_map = false;
    }
    if (as_map) {
        if (!sort_ents(ix, n, key_cmp)) return ac_fail(AC_ERR_NOMEM, "out of memory");
        for (size_t k = 1; k < n && as_map; k++)
            if (key_cmp(ix[k - 1], ix[k]) == 0) as_map = false;
    }
    if (as_map) {
        AC_TRY(acw_map(out, n));
        for (size_t k = 0; k < n; k++) {
            AC_TRY(acw_text(out, (const char *)ix[k]->name.p, ix[k]->name.n));
            AC_TRY(acw_map(out, 2));
            AC_TRY(acw_cstr(out, "hash"));
            AC_TRY(w_link(out, ix[k]->sha));
            AC_TRY(acw_cstr(out, "mode"));
            AC_TRY(acw_text(out, (const char *)ix[k]->mode.p, ix[k]->mode.n));
        }
        return out->err;
    }
    AC_TRY(acw_array(out, n));
    for (size_t k = 0; k < n; k++) {
        AC_TRY(acw_map(out, 3));
        AC_TRY(acw_cstr(out, "hash"));
        AC_TRY(w_link(out, e[k].sha));
        AC_TRY(acw_cstr(out, "mode"));
        AC_TRY(acw_text(out, (const char *)e[k].mode.p, e[k].mode.n));
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
        AC_TRY(acw_bytes(out, body.p, body.n));
        return out->err;
    case OBJ_TREE:
        return tree_decode(body, out);
    case OBJ_COMMIT:
        return commit_decode(body, out);
    default: {
        gtag t;
        const char *err = tag_parse(body, &t);
        if (err) return ac_fail(parse_status(err), err);
        return tag_emit(out, &t);
    }
    }
}

/* Collect every tag-42 link of a decoded value, in document order. */
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

static bool has_byte(span s, uint8_t c) { return find_byte(s.p, s.p + s.n, c) != 0; }

/* The fields of one map, read in a single pass so lookups do not rescan it (a map with a
 * huge "other" list would otherwise be walked once per field). */
#define MAX_FIELDS 9
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

/* *v positioned at the value of key; *found false when absent. */
static int field(const fields *f, const char *key, acr *v, bool *found) {
    size_t i = 0, n = ac_strlen(key);
    while (f->names[i] && !(ac_strlen(f->names[i]) == n && memcmp(f->names[i], key, n) == 0)) i++;
    if (!f->names[i]) return ac_fail(AC_ERR_INTERNAL, "field lookup of an undeclared name");
    *found = f->has[i];
    if (*found) *v = f->v[i];
    return AC_OK;
}

static int need(const fields *f, const char *key, acr *v) {
    bool found;
    AC_TRY(field(f, key, v, &found));
    if (!found) return ac_failf(AC_ERR_INVALID, "%s is missing '%s'", f->what, key);
    return AC_OK;
}

static int put_hex(ac_buf *out, const char *prefix, const uint8_t *sha) {
    AC_TRY(ac_buf_put(out, prefix, ac_strlen(prefix)));
    AC_TRY(ac_buf_hex(out, sha, SHA1_LEN));
    return ac_buf_byte(out, '\n');
}

/* "key value\n" with a one-line value. */
static int put_line(ac_buf *out, const char *key, span v, const char *what) {
    if (has_byte(v, '\n')) return ac_failf(AC_ERR_INVALID, "%s must not contain a newline", what);
    AC_TRY(ac_buf_put(out, key, ac_strlen(key)));
    AC_TRY(ac_buf_byte(out, ' '));
    AC_TRY(ac_buf_put(out, v.p, v.n));
    return ac_buf_byte(out, '\n');
}

/* "key value\n" with each '\n' of value folded into a continuation line. */
static int put_folded(ac_buf *out, const char *key, span v) {
    AC_TRY(ac_buf_put(out, key, ac_strlen(key)));
    AC_TRY(ac_buf_byte(out, ' '));
    for (size_t i = 0; i < v.n; i++) {
        AC_TRY(ac_buf_byte(out, v.p[i]));
        if (v.p[i] == '\n') AC_TRY(ac_buf_byte(out, ' '));
    }
    return ac_buf_byte(out, '\n');
}

static int put_person(ac_buf *out, const char *key, const acr *r) {
    static const char *const keys[] = { "date", "name", "email", "timezone", 0 };
    if (acr_peek(r) != ACR_MAP) return ac_failf(AC_ERR_INVALID, "%s must be a map", key);
    fields f;
    AC_TRY(read_fields(r, keys, key, &f));
    acr v;
    gperson g;
    AC_TRY(need(&f, "name", &v));
    AC_TRY(r_str(&v, &g.name, "name"));
    AC_TRY(need(&f, "email", &v));
    AC_TRY(r_str(&v, &g.email, "email"));
    AC_TRY(need(&f, "date", &v));
    AC_TRY(r_str(&v, &g.date, "date"));
    AC_TRY(need(&f, "timezone", &v));
    AC_TRY(r_str(&v, &g.tz, "timezone"));
    if (has_byte(g.name, '<') || has_byte(g.name, '\n'))
        return ac_failf(AC_ERR_INVALID, "%s name must not contain '<' or a newline", key);
    if (has_byte(g.email, '>') || has_byte(g.email, '\n'))
        return ac_failf(AC_ERR_INVALID, "%s email must not contain '>' or a newline", key);
    if (!is_digits(g.date)) return ac_failf(AC_ERR_INVALID, "%s date must be decimal seconds", key);
    if (!tz_ok(g.tz)) return ac_failf(AC_ERR_INVALID, "%s timezone must look like +0200", key);
    AC_TRY(ac_buf_put(out, key, ac_strlen(key)));
    AC_TRY(ac_buf_byte(out, ' '));
    AC_TRY(ac_buf_put(out, g.name.p, g.name.n));
    AC_TRY(ac_buf_put(out, " <", 2));
    AC_TRY(ac_buf_put(out, g.email.p, g.email.n));
    AC_TRY(ac_buf_put(out, "> ", 2));
    AC_TRY(ac_buf_put(out, g.date.p, g.date.n));
    AC_TRY(ac_buf_byte(out, ' '));
    AC_TRY(ac_buf_put(out, g.tz.p, g.tz.n));
    return ac_buf_byte(out, '\n');
}

/* Verbatim headers: non-empty, no leading space, every '\n' starts a continuation line. */
static int put_other(ac_buf *out, const acr *r, const char *what) {
    if (acr_peek(r) != ACR_ARRAY) return ac_failf(AC_ERR_INVALID, "%s other must be a list", what);
    acr c = *r;
    size_t n;
    AC_TRY(acr_array(&c, &n));
    for (size_t k = 0; k < n; k++) {
        span s;
        AC_TRY(r_str(&c, &s, "other header"));
        if (s.n == 0 || s.p[0] == ' ' || s.p[0] == '\n' || s.p[s.n - 1] == '\n')
            return ac_failf(AC_ERR_INVALID, "%s other header %zu is not a header line", what, k);
        for (size_t i = 0; i + 1 < s.n; i++)
            if (s.p[i] == '\n' && s.p[i + 1] != ' ')
                return ac_failf(AC_ERR_INVALID, "%s other header %zu has a line without leading space", what, k);
        AC_TRY(ac_buf_put(out, s.p, s.n));
        AC_TRY(ac_buf_byte(out, '\n'));
    }
    return AC_OK;
}

static int put_message(ac_buf *out, const fields *f) {
    bool found;
    acr v;
    AC_TRY(field(f, "message", &v, &found));
    if (!found) return AC_OK;
    span m;
    AC_TRY(r_str(&v, &m, "message"));
    AC_TRY(ac_buf_byte(out, '\n'));
    return ac_buf_put(out, m.p, m.n);
}

static int tag_body(ac_buf *out, const acr *r) {
    static const char *const keys[] = { "object", "type", "tag", "tagger", "other", "message", 0 };
    fields f;
    AC_TRY(read_fields(r, keys, "tag", &f));
    acr v;
    bool found;
    uint8_t sha[SHA1_LEN];
    span s;
    AC_TRY(need(&f, "object", &v));
    AC_TRY(r_link(&v, sha, "tag object"));
    AC_TRY(put_hex(out, "object ", sha));
    AC_TRY(need(&f, "type", &v));
    AC_TRY(r_str(&v, &s, "tag type"));
    AC_TRY(put_line(out, "type", s, "tag type"));
    AC_TRY(need(&f, "tag", &v));
    AC_TRY(r_str(&v, &s, "tag name"));
    AC_TRY(put_line(out, "tag", s, "tag name"));
    AC_TRY(field(&f, "tagger", &v, &found));
    if (found) AC_TRY(put_person(out, "tagger", &v));
    AC_TRY(field(&f, "other", &v, &found));
    if (found) AC_TRY(put_other(out, &v, "tag"));
    AC_TRY(put_message(out, &f));
    return out->err;
}

static int commit_body(ac_buf *out, const acr *r) {
    static const char *const keys[] = { "tree", "parents", "author", "committer", "encoding",
                                        "mergetag", "signature", "other", "message", 0 };
    fields f;
    AC_TRY(read_fields(r, keys, "commit", &f));
    acr v;
    bool found;
    uint8_t sha[SHA1_LEN];
    span s;
    size_t n;
    AC_TRY(need(&f, "tree", &v));
    AC_TRY(r_link(&v, sha, "commit tree"));
    AC_TRY(put_hex(out, "tree ", sha));
    AC_TRY(field(&f, "parents", &v, &found));
    if (found) {
        if (acr_peek(&v) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "commit parents must be a list");
        AC_TRY(acr_array(&v, &n));
        for (size_t k = 0; k < n; k++) {
            AC_TRY(r_link(&v, sha, "commit parent"));
            AC_TRY(put_hex(out, "parent ", sha));
        }
    }
    AC_TRY(field(&f, "author", &v, &found));
    if (found) AC_TRY(put_person(out, "author", &v));
    AC_TRY(field(&f, "committer", &v, &found));
    if (found) AC_TRY(put_person(out, "committer", &v));
    AC_TRY(field(&f, "encoding", &v, &found));
    if (found) {
        AC_TRY(r_str(&v, &s, "commit encoding"));
        AC_TRY(put_line(out, "encoding", s, "commit encoding"));
    }
    AC_TRY(field(&f, "mergetag", &v, &found));
    if (found) {
        if (acr_peek(&v) != ACR_ARRAY) return ac_fail(AC_ERR_INVALID, "commit mergetag must be a list");
        AC_TRY(acr_array(&v, &n));
        for (size_t k = 0; k < n; k++) {
            if (acr_peek(&v) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "commit mergetag items must be tags");
            ac_buf tb;
            ac_buf_init(&tb);
            AC_TRY(tag_body(&tb, &v));
            if (tb.len == 0 || tb.data[tb.len - 1] != '\n')
                return ac_fail(AC_ERR_INVALID, "a mergetag must end with a newline (its message does not)");
            AC_TRY(put_folded(out, "mergetag", (span){ tb.data, tb.len - 1 }));
            AC_TRY(acr_skip(&v));
        }
    }
    AC_TRY(field(&f, "signature", &v, &found));
    if (found) {
        AC_TRY(r_str(&v, &s, "commit signature"));
        AC_TRY(put_folded(out, "gpgsig", s));
    }
    AC_TRY(field(&f, "other", &v, &found));
    if (found) AC_TRY(put_other(out, &v, "commit"));
    AC_TRY(put_message(out, &f));
    return out->err;
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
    if (!e || !ix || !shas) return ac_fail(AC_ERR_NOMEM, "out of memory");
    static const char *const entry_keys[] = { "hash", "mode", 0 };
    static const char *const list_keys[] = { "hash", "mode", "name", 0 };
    for (size_t k = 0; k < n; k++) {
        acr v, ent;
        if (!is_list) AC_TRY(r_text(&c, &e[k].name));
        if (acr_peek(&c) != ACR_MAP) return ac_fail(AC_ERR_INVALID, "tree entries must be maps");
        ent = c;
        fields f;
        AC_TRY(read_fields(&ent, is_list ? list_keys : entry_keys, "tree entry", &f));
        if (is_list) {
            AC_TRY(need(&f, "name", &v));
            AC_TRY(r_str(&v, &e[k].name, "tree entry name"));
        }
        if (has_byte(e[k].name, 0)) return ac_fail(AC_ERR_INVALID, "tree entry names must not contain NUL");
        AC_TRY(need(&f, "mode", &v));
        if (acr_peek(&v) != ACR_TEXT) return ac_fail(AC_ERR_INVALID, "tree entry mode must be a string");
        AC_TRY(r_text(&v, &e[k].mode));
        if (!mode_parse(e[k].mode, &e[k].modev))
            return ac_fail(AC_ERR_INVALID, "tree entry mode must be 1-7 octal digits");
        AC_TRY(need(&f, "hash", &v));
        AC_TRY(r_link(&v, shas + k * SHA1_LEN, "tree entry hash"));
        e[k].sha = shas + k * SHA1_LEN;
        ix[k] = &e[k];
        AC_TRY(acr_skip(&c));
    }
    if (!is_list && !sort_ents(ix, n, git_cmp)) return ac_fail(AC_ERR_NOMEM, "out of memory");
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

static int git_encode(const uint8_t *in, size_t n, ac_buf *out) {
    acr r;
    acr_init(&r, in, n);
    const char *type;
    int t = acr_peek(&r);
    if (t == ACR_BYTES) {
        const uint8_t *p;
        size_t bn;
        AC_TRY(acr_bytes(&r, &p, &bn));
        AC_TRY(ac_buf_put(out, p, bn));
        type = "blob";
        AC_TRY(acr_finish(&r));
    } else if (t == ACR_ARRAY) {
        AC_TRY(tree_body(out, &r));
        type = "tree";
    } else if (t == ACR_MAP) {
        bool commit, tag = false;
        AC_TRY(link_under(&r, "tree", &commit));
        if (!commit) AC_TRY(link_under(&r, "object", &tag));
        if (commit) AC_TRY(commit_body(out, &r));
        else if (tag) AC_TRY(tag_body(out, &r));
        else AC_TRY(tree_body(out, &r));
        type = commit ? "commit" : tag ? "tag" : "tree";
    } else {
        return ac_fail(AC_ERR_INVALID,
                       "a git object is bytes (blob), a map (commit, tag or tree) or a list (tree)");
    }
    if (t != ACR_BYTES) {
        AC_TRY(acr_skip(&r));
        AC_TRY(acr_finish(&r));
    }
    /* Prepend "<type> <size>\0". */
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

AC_EXPORT_CODEC(git_decode, git_encode, git_links)
