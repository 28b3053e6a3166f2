/* A toy hasher: FNV-1a 64 (Fowler/Noll/Vo), digest = the 64-bit value big-endian.
 * Not for security; it shows the one-shot and the streaming entry points.
 * Stream state lives in a static (ac_input does not clear it). */
#include "ac.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t state;

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV_PRIME;
    return h;
}

static int put_digest(uint64_t h, ac_buf *out) {
    uint8_t *d = ac_buf_extend(out, 8);
    if (!d) return out->err;
    for (int i = 0; i < 8; i++) d[i] = (uint8_t)(h >> (56 - 8 * i));
    return AC_OK;
}

static int hash(const uint8_t *in, size_t n, ac_buf *out) { return put_digest(fnv(FNV_OFFSET, in, n), out); }
static int init(void) { state = FNV_OFFSET; return AC_OK; }
static int update(const uint8_t *in, size_t n) { state = fnv(state, in, n); return AC_OK; }
static int final(ac_buf *out) { return put_digest(state, out); }

AC_EXPORT_HASHER(hash, init, update, final)
