// A toy signature scheme (NOT secure; it shows the crypto entry point): 8-byte public keys,
// 8-byte signatures, valid when sig[i] == pk[i] XOR msg[i] (msg padded with zeros).
// Frame (docs/abi.md): u32 key_type, u32 pk_len, pk, u32 sig_len, sig, message. Wrong lengths
// are malformed encodings (ERR_INVALID); a well-formed signature that does not match is 0.
import { Buf, Failure, invalid, run } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

function verify(p: usize, n: usize, out: Buf): Failure | null {
  if (n < 8) return invalid("{{name}}: truncated frame");
  const pkLen = <usize>load<u32>(p + 4);
  if (pkLen > n - 8) return invalid("{{name}}: truncated frame");
  const pk = p + 8;
  if (n - 8 - pkLen < 4) return invalid("{{name}}: truncated frame");
  const sigLen = <usize>load<u32>(pk + pkLen);
  const sig = pk + pkLen + 4;
  if (sigLen > n - 12 - pkLen) return invalid("{{name}}: truncated frame");
  const msg = sig + sigLen;
  const msgLen = n - 12 - pkLen - sigLen;
  if (pkLen != 8) return invalid("{{name}}: a public key is 8 bytes");
  if (sigLen != 8) return invalid("{{name}}: a signature is 8 bytes");
  let diff: u8 = 0;
  for (let i: usize = 0; i < 8; i++) {
    const m: u8 = i < msgLen ? load<u8>(msg + i) : 0;
    diff |= load<u8>(sig + i) ^ load<u8>(pk + i) ^ m;
  }
  out.byte(diff == 0 ? 1 : 0);
  return null;
}

export function ac_verify(p: usize, n: usize): i32 { return run(verify, p, n); }
