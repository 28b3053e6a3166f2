/*
 * transcode.c - bencode -> DAG-CBOR as an autocodec task module ("compute moves to the data").
 *
 * Functions:
 *   transcode(block)  -> the block's IPLD data model (the DAG-CBOR result *is* the value)
 *   to_dagcbor(block) -> the same value's canonical DAG-CBOR encoding, as a byte string
 *                        (ready to be stored as a dag-cbor block, or given to ipld-select)
 *   block: the bencode bytes (a byte string argument).
 *
 * The bencode codec is not copied: its source, wasm-src/bencode/bencode.c, is compiled into
 * this module by the #include below, with its AC_EXPORT_CODEC line turned into a no-op so
 * only ac_task is exported. Both modules therefore decode bencode with exactly the same
 * code (same strictness, same data model; see wasm-src/bencode/README.md).
 *
 * Invariants:
 *   - transcode(b) equals the bencode codec's decode(b), for every b; bad bencode is the same
 *     AC_ERR_INVALID / AC_ERR_UNSUPPORTED with the codec's message.
 *   - The output is canonical DAG-CBOR (the codec's writer sorts map keys canonically).
 */
#include "ac.h"

#undef AC_EXPORT_CODEC
#define AC_EXPORT_CODEC(decode_fn, encode_fn, links_fn)                                   \
    __attribute__((unused)) static const ac_item_fn bencode_codec_fns_[3] = {decode_fn, encode_fn, links_fn};
#include "../bencode/bencode.c"

static bool name_is(const char *a, size_t an, const char *b) {
    size_t bn = ac_strlen(b);
    return an == bn && memcmp(a, b, an) == 0;
}

static int run(const uint8_t *in, size_t n, ac_buf *out) {
    acr top, v, args;
    bool found;
    const char *name;
    size_t len, argc;
    acr_init(&top, in, n);
    AC_TRY(acr_find(&top, "fn", &v, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "the call has no \"fn\"");
    AC_TRY(acr_text(&v, &name, &len));
    bool wrap;
    if (name_is(name, len, "transcode")) wrap = false;
    else if (name_is(name, len, "to_dagcbor")) wrap = true;
    else return ac_failf(AC_ERR_UNSUPPORTED, "no function \"%.*s\" (have transcode, to_dagcbor)", (int)len, name);
    AC_TRY(acr_find(&top, "args", &args, &found));
    if (!found) return ac_fail(AC_ERR_INVALID, "the call has no \"args\"");
    AC_TRY(acr_array(&args, &argc));
    if (argc != 1) return ac_failf(AC_ERR_INVALID, "%.*s takes 1 argument (the bencode block), got %zu", (int)len, name, argc);
    if (acr_peek(&args) != ACR_BYTES) return ac_fail(AC_ERR_INVALID, "the block (argument 1) must be bytes");
    const uint8_t *block;
    size_t bn;
    AC_TRY(acr_bytes(&args, &block, &bn));
    if (!wrap) return benc_decode(block, bn, out);
    ac_buf tmp;
    ac_buf_init(&tmp);
    AC_TRY(benc_decode(block, bn, &tmp));
    return acw_bytes(out, tmp.data, tmp.len);
}

AC_EXPORT_TASK(run)
