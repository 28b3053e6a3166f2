/*
 * Bitcoin script as the porcelain of Bitcoin Core's RPC (and so of the bitcoin-block library that
 * @ipld/bitcoin decodes with): the "asm" disassembly (ScriptToAsmStr), the standard output types
 * (Solver) and the mainnet addresses of an output (base58check / bech32).
 * Invariants: pure functions of the script bytes; any byte string is a script (a truncated push
 * disassembles to "[error]"), so these never fail except when memory runs out.
 */
#ifndef BTC_SCRIPT_H
#define BTC_SCRIPT_H
#include "ac.h"

/* Append the asm of script p[0..n) to s as UTF-8 (no NUL); sighash: decode a trailing sighash
 * byte of DER signatures as "[ALL]" etc. (done for scriptSig, not scriptPubKey). */
int btc_script_asm(ac_buf *s, const uint8_t *p, size_t n, bool sighash);
/* Write the scriptPubKey map {asm, hex, type[, reqSigs, addresses]} of p[0..n) to out. */
int btc_write_script_pubkey(ac_buf *out, const uint8_t *p, size_t n);
/* Write a text string produced by appending to out: start = btc_text_begin(out), append the
 * UTF-8 bytes, then btc_text_end(out, start) puts the shortest head before them. */
size_t btc_text_begin(ac_buf *out);
int btc_text_end(ac_buf *out, size_t start);
/* Append the decimal form of v to s. */
int btc_put_int(ac_buf *s, int64_t v);

#endif
