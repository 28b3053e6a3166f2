/*
 * chunker-fastcdc - FastCDC content-defined chunking as an autocodec chunker.
 *
 * Written from Xia et al., "The Design of Fast Content-Defined Chunking for Data
 * Deduplication Based Storage Systems", IEEE TPDS 31(9), 2020 (Algorithm 1): Gear rolling
 * hash fp = (fp << 1) + Gear[byte], cut-point skipping below the minimum size, and
 * normalized chunking.
 *
 * Parameters: DAG-CBOR {"min": a, "avg": b, "max": c}, 1 <= a <= b <= c <= 2^30, b >= 64.
 *
 * Choices (fixed by this module's version; they decide every boundary):
 *   - Normalization level 2 (NC-2, the paper's recommended level): with
 *     bits = floor(log2(avg)), MaskS has bits + 2 one-bits and MaskL bits - 2.
 *   - A mask with k one-bits sets bits 63 - floor(j * 48 / k), j = 0..k-1: spread evenly
 *     over the top 48 bits of the 64-bit fingerprint like the paper's masks (so every
 *     tested bit depends on at least the last 17 bytes and neighbouring positions are
 *     not correlated).
 *   - Gear[i] is the (i+1)-th output of SplitMix64 seeded with 0 (Steele, Lea and Flood,
 *     "Fast splittable pseudorandom number generators", OOPSLA 2014), i = 0..255.
 *   - Within a chunk, bytes 0..min-1 are skipped (fp restarts at 0 for each chunk); the
 *     byte at index i (0-based) is hashed and, if fp & (i < avg ? MaskS : MaskL) == 0,
 *     the chunk ends after it (length i + 1).  A chunk reaching max bytes ends there.
 *     The last chunk of the stream is whatever remains (it may be shorter than min).
 *
 * Invariants:
 *   - Streaming state is the chunk length so far and fp (plus the parameters): never the
 *     stream itself.  Ends do not depend on how the stream is split into buffers.
 */
#include "ac.h"

#define MAX_SIZE (1u << 30)
#define NC_LEVEL 2

static uint64_t GEAR[256];

static struct {
    bool ready;
    uint64_t min, avg, max;
    uint64_t mask_s, mask_l;
    uint64_t pos;  /* stream offset of the end of the bytes seen */
    uint64_t clen; /* bytes in the current chunk */
    uint64_t fp;
} g;

static void gear_init(void) {
    uint64_t s = 0;
    for (int i = 0; i < 256; i++) {
        s += 0x9E3779B97F4A7C15ull;
        uint64_t z = s;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        GEAR[i] = z ^ (z >> 31);
    }
}

static uint64_t spread_mask(unsigned k) {
    uint64_t m = 0;
    for (unsigned j = 0; j < k; j++) m |= 1ull << (63 - (j * 48) / k);
    return m;
}

static int parse_params(const uint8_t *in, size_t n) {
    acr r;
    acr_init(&r, in, n);
    size_t pairs;
    unsigned have = 0;
    AC_TRY(acr_map(&r, &pairs));
    for (size_t i = 0; i < pairs; i++) {
        const char *k;
        size_t kn;
        AC_TRY(acr_text(&r, &k, &kn));
        uint64_t *dst;
        unsigned bit;
        if (kn == 3 && memcmp(k, "min", 3) == 0) { dst = &g.min; bit = 1; }
        else if (kn == 3 && memcmp(k, "avg", 3) == 0) { dst = &g.avg; bit = 2; }
        else if (kn == 3 && memcmp(k, "max", 3) == 0) { dst = &g.max; bit = 4; }
        else return ac_fail(AC_ERR_INVALID, "chunker-fastcdc: unknown parameter (min, avg, max)");
        AC_TRY(acr_uint(&r, dst));
        have |= bit;
    }
    AC_TRY(acr_finish(&r));
    if (have != 7) return ac_fail(AC_ERR_INVALID, "chunker-fastcdc: parameters min, avg and max are required");
    if (!(g.min >= 1 && g.min <= g.avg && g.avg <= g.max && g.max <= MAX_SIZE && g.avg >= 64))
        return ac_failf(AC_ERR_INVALID,
                        "chunker-fastcdc: need 1 <= min <= avg <= max <= %u and avg >= 64 "
                        "(got %llu, %llu, %llu)", MAX_SIZE, (unsigned long long)g.min,
                        (unsigned long long)g.avg, (unsigned long long)g.max);
    return AC_OK;
}

static int chunk_init(const uint8_t *in, size_t n, ac_buf *out) {
    (void)out;
    g.ready = false;
    AC_TRY(parse_params(in, n));
    unsigned bits = 63 - (unsigned)__builtin_clzll(g.avg);
    g.mask_s = spread_mask(bits + NC_LEVEL);
    g.mask_l = spread_mask(bits - NC_LEVEL);
    if (GEAR[0] == 0) gear_init();
    g.pos = g.clen = g.fp = 0;
    g.ready = true;
    return AC_OK;
}

static int chunk_update(const uint8_t *in, size_t n, ac_buf *out) {
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-fastcdc: call ac_chunk_init first");
    const uint8_t *p = in, *end = in + n;
    uint64_t clen = g.clen, fp = g.fp;
    const uint64_t min = g.min, avg = g.avg, max = g.max, ms = g.mask_s, ml = g.mask_l;
    while (p < end) {
        size_t left = (size_t)(end - p);
        if (clen < min) { /* cut-point skipping */
            uint64_t skip = min - clen;
            if (skip > left) skip = left;
            p += skip;
            clen += skip;
            continue;
        }
        bool cut = false;
        if (clen < avg) { /* the byte at index clen is tested against MaskS */
            uint64_t run = avg - clen;
            if (run > left) run = left;
            const uint8_t *stop = p + run, *from = p;
            while (p < stop) {
                fp = (fp << 1) + GEAR[*p++];
                if (!(fp & ms)) { cut = true; break; }
            }
            clen += (uint64_t)(p - from);
        } else {
            uint64_t run = max - clen;
            if (run > left) run = left;
            const uint8_t *stop = p + run, *from = p;
            while (p < stop) {
                fp = (fp << 1) + GEAR[*p++];
                if (!(fp & ml)) { cut = true; break; }
            }
            clen += (uint64_t)(p - from);
            if (clen == max) cut = true;
        }
        if (cut) {
            AC_TRY(ac_buf_le64(out, g.pos + (uint64_t)(p - in)));
            clen = 0;
            fp = 0;
        }
    }
    g.pos += n;
    g.clen = clen;
    g.fp = fp;
    return AC_OK;
}

static int chunk_final(ac_buf *out) {
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-fastcdc: call ac_chunk_init first");
    if (g.clen > 0) AC_TRY(ac_buf_le64(out, g.pos));
    g.pos = g.clen = g.fp = 0; /* ready for the next stream with the same parameters */
    return AC_OK;
}

AC_EXPORT_CHUNKER(chunk_init, chunk_update, chunk_final)
