/*
 * chunker-fixed - fixed-size chunking (Kubo's `size-N`) as an autocodec chunker.
 *
 * Parameters: DAG-CBOR {"size": N}, 1 <= N <= 2^30.
 *
 * Invariants:
 *   - Chunk ends are N, 2N, 3N, ... up to the stream length, then the stream length itself
 *     if it is not a multiple of N; an empty stream has no chunks.
 *   - An end is reported by the ac_chunk_update call whose buffer reaches it, so the ends
 *     do not depend on how the stream is split into buffers.
 *   - State: N, the stream length so far and the next end (three integers, in statics).
 */
#include "ac.h"

#define MAX_SIZE (1u << 30)

static struct {
    bool ready;
    uint64_t size;
    uint64_t pos;      /* stream bytes seen */
    uint64_t next_end; /* next multiple of size */
} g;

static int parse_params(const uint8_t *in, size_t n, uint64_t *size) {
    acr r;
    acr_init(&r, in, n);
    size_t pairs;
    bool have = false;
    AC_TRY(acr_map(&r, &pairs));
    for (size_t i = 0; i < pairs; i++) {
        const char *k;
        size_t kn;
        AC_TRY(acr_text(&r, &k, &kn));
        if (kn == 4 && memcmp(k, "size", 4) == 0) {
            AC_TRY(acr_uint(&r, size));
            have = true;
        } else {
            return ac_failf(AC_ERR_INVALID, "chunker-fixed: unknown parameter (only \"size\")");
        }
    }
    AC_TRY(acr_finish(&r));
    if (!have) return ac_fail(AC_ERR_INVALID, "chunker-fixed: missing parameter \"size\"");
    if (*size < 1 || *size > MAX_SIZE)
        return ac_failf(AC_ERR_INVALID, "chunker-fixed: size %llu is outside 1..%u",
                        (unsigned long long)*size, MAX_SIZE);
    return AC_OK;
}

static int chunk_init(const uint8_t *in, size_t n, ac_buf *out) {
    (void)out;
    uint64_t size;
    g.ready = false;
    AC_TRY(parse_params(in, n, &size));
    g.size = size;
    g.pos = 0;
    g.next_end = size;
    g.ready = true;
    return AC_OK;
}

static int chunk_update(const uint8_t *in, size_t n, ac_buf *out) {
    (void)in;
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-fixed: call ac_chunk_init first");
    g.pos += n;
    while (g.next_end <= g.pos) {
        AC_TRY(ac_buf_le64(out, g.next_end));
        g.next_end += g.size;
    }
    return AC_OK;
}

static int chunk_final(ac_buf *out) {
    if (!g.ready) return ac_fail(AC_ERR_INVALID, "chunker-fixed: call ac_chunk_init first");
    if (g.pos > g.next_end - g.size) AC_TRY(ac_buf_le64(out, g.pos));
    g.pos = 0; /* ready for the next stream with the same parameters */
    g.next_end = g.size;
    return AC_OK;
}

AC_EXPORT_CHUNKER(chunk_init, chunk_update, chunk_final)
