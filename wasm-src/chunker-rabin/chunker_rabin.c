/*
 * chunker-rabin - Kubo's rabin content-defined chunker as an autocodec chunker.
 *
 * Boundaries equal Kubo's `--chunker=rabin[-MIN-AVG-MAX]` (boxo/chunker rabin.go, which
 * wraps github.com/whyrusleeping/chunker, a fork of restic's chunker): a Rabin fingerprint
 * over GF(2) modulo Kubo's irreducible polynomial P = 17437180132763653 (degree 53), rolled
 * over a 16-byte window with the usual two 256-entry tables
 *   out[b] = (b * x^(8*15)) mod P        (the byte leaving the window)
 *   mod[b] = ((b * x^53) mod P) | (b << 53)  (reduction of the 8 bits shifted past the degree)
 *
 * Parameters: DAG-CBOR {"min": a, "avg": b, "max": c}, 1 <= avg, 1 <= max <= 2^30, all
 * three required (the host maps `rabin`, `rabin-AVG` and `rabin-MIN-AVG-MAX` to them as Kubo:
 * `rabin-AVG` is min = AVG/3, max = AVG + AVG/2).
 *
 * Rule (the Go code's, reproduced exactly, including its quirks):
 *   - mask = 2^floor(log2(avg)) - 1.
 *   - At the start of every chunk the window is zeroed, the digest is 0, and the byte 1 is
 *     slid in (digest = 1, window = [1, 0, ...], next window slot 1).
 *   - The first min - 16 bytes of a chunk are not hashed at all (computed in uint64, so
 *     min < 16 wraps and no byte of the stream is ever hashed: the whole stream is one chunk).
 *   - Every later byte is slid in (digest ^= out[leaving byte]; digest = ((digest << 8) | b)
 *     ^ mod[digest >> 45]); after the byte, with L the chunk length so far, the chunk ends
 *     if L >= min and (digest & mask == 0 or L >= max).
 *   - The last chunk of the stream is whatever remains (none if nothing remains).
 *
 * Invariants:
 *   - Streaming state: chunk length, digest, window and its slot; never the stream.  Ends do
 *     not depend on how the stream is split into buffers.
 *   - Tables are computed once per init from P (no data copied from elsewhere).
 */
#include "ac.h"

#define MAX_SIZE (1u << 30)
#define WINDOW 16
#define POLY 17437180132763653ull /* Kubo's IpfsRabinPoly */

static uint64_t OUT[256], MOD[256];
static bool tables_ready;

static struct {
    bool ready;
    uint64_t min, max, mask, pre;
    uint64_t pos;  /* stream offset of the end of the bytes seen */
    uint64_t clen; /* bytes in the current chunk */
    uint64_t digest;
    unsigned wpos;
    uint8_t win[WINDOW];
} g;

static int deg(uint64_t x) {
    int d = -1;
    while (x) {
        d++;
        x >>= 1;
    }
    return d;
}

static uint64_t pol_mod(uint64_t x, uint64_t p) {
    int dp = deg(p);
    for (int diff = deg(x) - dp; diff >= 0; diff = deg(x) - dp) x ^= p << diff;
    return x;
}

static void tables_init(void) {
    if (tables_ready) return;
    int k = deg(POLY);
    for (unsigned b = 0; b < 256; b++) {
        uint64_t h = pol_mod((uint64_t)b, POLY);
        for (int i = 0; i < WINDOW - 1; i++) h = pol_mod(h << 8, POLY);
        OUT[b] = h;
        MOD[b] = pol_mod((uint64_t)b << k, POLY) | ((uint64_t)b << k);
    }
    tables_ready = true;
}

#define SHIFT 45 /* deg(POLY) - 8 */

static void chunk_reset(void) {
    memset(g.win, 0, sizeof g.win);
    /* slide(1) on the zero window: out[0] = 0, so digest = (0 << 8 | 1) ^ MOD[0] = 1 */
    g.win[0] = 1;
    g.wpos = 1;
    g.digest = 1;
    g.clen = 0;
}

static int floor_log2(uint64_t v) {
    int r = -1;
    while (v) {
        r++;
        v >>= 1;
    }
    return r;
}

static int parse_params(const uint8_t *in, size_t n) {
    acr r;
    acr_init(&r, in, n);
    size_t pairs;
    uint64_t avg = 0;
    bool have_min = false, have_avg = false, have_max = false;
    AC_TRY(acr_map(&r, &pairs));
    for (size_t i = 0; i < pairs; i++) {
        const char *k;
        size_t kn;
        AC_TRY(acr_text(&r, &k, &kn));
        if (kn == 3 && memcmp(k, "min", 3) == 0) {
            AC_TRY(acr_uint(&r, &g.min));
            have_min = true;
        } else if (kn == 3 && memcmp(k, "avg", 3) == 0) {
            AC_TRY(acr_uint(&r, &avg));
            have_avg = true;
        } else if (kn == 3 && memcmp(k, "max", 3) == 0) {
            AC_TRY(acr_uint(&r, &g.max));
            have_max = true;
        } else {
            return ac_fail(AC_ERR_INVALID, "chunker-rabin: unknown parameter (min, avg, max)");
        }
    }
    AC_TRY(acr_finish(&r));
    if (!(have_min && have_avg && have_max))
        return ac_fail(AC_ERR_INVALID, "chunker-rabin: params need min, avg and max");
    if (!(avg >= 1 && g.max >= 1 && g.max <= MAX_SIZE && g.min <= MAX_SIZE))
        return ac_failf(AC_ERR_INVALID, "chunker-rabin: need 1 <= avg, 1 <= max <= %u, min <= %u", MAX_SIZE,
                        MAX_SIZE);
    g.mask = (1ull << floor_log2(avg)) - 1;
    g.pre = g.min - WINDOW; /* uint64: wraps below 16, as in the Go code */
    return AC_OK;
}

static int chunk_init(const uint8_t *in, size_t n, ac_buf *out) {
    (void)out;
    g.ready = false;
    tables_init();
    AC_TRY(parse_params(in, n));
    g.pos = 0;
    chunk_reset();
    g.ready = true;
    return AC_OK;
}

static int chunk_update(const uint8_t *in, size_t n, ac_buf *out) {
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-rabin: call ac_chunk_init first");
    const uint8_t *p = in, *end = in + n;
    const uint64_t min = g.min, max = g.max, mask = g.mask, pre = g.pre;
    uint64_t clen = g.clen, digest = g.digest;
    unsigned wpos = g.wpos;
    uint8_t *win = g.win;
    while (p < end) {
        if (clen < pre) { /* bytes before the rolling part of a chunk are never hashed */
            uint64_t skip = pre - clen, left = (uint64_t)(end - p);
            if (skip > left) skip = left;
            p += skip;
            clen += skip;
            continue;
        }
        bool cut = false;
        while (p < end) {
            uint8_t b = *p++;
            digest ^= OUT[win[wpos]];
            win[wpos] = b;
            wpos = (wpos + 1) % WINDOW;
            uint64_t index = digest >> SHIFT;
            digest = ((digest << 8) | b) ^ MOD[index];
            clen++;
            if (clen >= min && ((digest & mask) == 0 || clen >= max)) {
                cut = true;
                break;
            }
        }
        if (cut) {
            AC_TRY(ac_buf_le64(out, g.pos + (uint64_t)(p - in)));
            chunk_reset();
            clen = 0;
            digest = g.digest;
            wpos = g.wpos;
        }
    }
    g.pos += n;
    g.clen = clen;
    g.digest = digest;
    g.wpos = wpos;
    return AC_OK;
}

static int chunk_final(ac_buf *out) {
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-rabin: call ac_chunk_init first");
    if (g.clen > 0) AC_TRY(ac_buf_le64(out, g.pos));
    g.pos = 0; /* ready for the next stream with the same parameters */
    chunk_reset();
    return AC_OK;
}

AC_EXPORT_CHUNKER(chunk_init, chunk_update, chunk_final)
