/*
 * dag-cbor: the DAG-CBOR codec (multicodec 0x71) as a guest module.
 *
 * A block's data model *is* DAG-CBOR, so decode is strict validation followed by the
 * identity: a block is accepted only if it is the one canonical encoding of its data model
 * (spec: ipld.io/specs/codecs/dag-cbor/spec), and then the output equals the input.
 * Encode validates the same way; links lists every tag-42 CID in document order.
 */
#include "ac.h"

static int validate(const uint8_t *in, size_t n, ac_cid_fn on_cid, void *ctx) {
    acr r;
    acr_init(&r, in, n);
    if (n == 0) return acr_fail(&r, AC_ERR_INVALID, "empty block");
    AC_TRY(acr_walk(&r, on_cid, ctx));
    return acr_finish(&r);
}

static int dag_decode(const uint8_t *in, size_t n, ac_buf *out) {
    AC_TRY(validate(in, n, 0, 0));
    return ac_buf_put(out, in, n);
}

typedef struct { ac_buf links; uint64_t count; } link_acc;

static int collect(void *ctx, const uint8_t *cid, size_t n) {
    link_acc *acc = ctx;
    acc->count++;
    return acw_cid(&acc->links, cid, n);
}

static int dag_links(const uint8_t *in, size_t n, ac_buf *out) {
    link_acc acc;
    ac_buf_init(&acc.links);
    acc.count = 0;
    AC_TRY(validate(in, n, collect, &acc));
    AC_TRY(acw_array(out, acc.count));
    return ac_buf_put(out, acc.links.data, acc.links.len);
}

AC_EXPORT_CODEC(dag_decode, dag_decode, dag_links)
