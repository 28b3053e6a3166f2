// lpl (tests/guest/sdk-links/README.md): records [type u8][len u32 LE][payload]; type 0 = bytes, 1 = a binary CID (a link),
// 0xee = the payload is returned as the error message (a test hook). Data model: a list.
import { Buf, Reader, Failure, run, batch, invalid, cidValid } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

let recType: u8 = 0;
let recAt: usize = 0;
let recLen: usize = 0;

/** Checks the record at pos; sets recType/recAt/recLen; returns the next pos or a failure. */
function next(p: usize, n: usize, pos: usize): Failure | null {
  if (n - pos < 5) return invalid("lpl: truncated record head");
  recType = load<u8>(p + pos);
  recLen = <usize>load<u32>(p + pos + 1);
  recAt = p + pos + 5;
  if (recLen > n - pos - 5) return invalid("lpl: record past the end");
  if (recType == 1) {
    if (!cidValid(recAt, recLen)) return invalid("lpl: a link record holds a malformed CID");
  } else if (recType == 0xee) {
    return invalid(String.UTF8.decodeUnsafe(recAt, recLen));
  } else if (recType != 0) {
    return invalid("lpl: unknown record type");
  }
  return null;
}

function emit(p: usize, n: usize, out: Buf, linksOnly: bool): Failure | null {
  let count: usize = 0;
  let pos: usize = 0;
  while (pos < n) {
    const f = next(p, n, pos);
    if (f !== null) return f;
    if (!linksOnly || recType == 1) count++;
    pos += 5 + recLen;
  }
  out.array(count);
  pos = 0;
  while (pos < n) {
    next(p, n, pos);
    if (recType == 1) out.cid(recAt, recLen);
    else if (!linksOnly) out.bytes(recAt, recLen);
    pos += 5 + recLen;
  }
  return null;
}

function decode(p: usize, n: usize, out: Buf): Failure | null { return emit(p, n, out, false); }
function links(p: usize, n: usize, out: Buf): Failure | null { return emit(p, n, out, true); }

function encode(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const count = r.array();
  for (let i: usize = 0; i < count; i++) {
    const link = r.peek() == 6;
    const len = link ? r.cid() : r.bytes();
    if (r.error !== null) return r.error;
    out.byte(link ? 1 : 0);
    out.byte(<u8>len); out.byte(<u8>(len >> 8)); out.byte(<u8>(len >> 16)); out.byte(<u8>(len >> 24));
    out.put(r.at, len);
  }
  r.finish();
  return r.error;
}

export function ac_decode(p: usize, n: usize): i32 { return run(decode, p, n); }
export function ac_encode(p: usize, n: usize): i32 { return run(encode, p, n); }
export function ac_links(p: usize, n: usize): i32 { return run(links, p, n); }
export function ac_decode_batch(p: usize, n: usize): i32 { return batch(decode, p, n); }
