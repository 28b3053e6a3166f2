// A toy codec: the native form is UTF-8 text, its data model the list of its lines.
// decode("a\nb") = ["a", "b"]; encode joins them with "\n" again, so encode(decode(x)) == x.
// Invalid UTF-8 and lines holding "\n" are refused with ERR_INVALID.
import { Buf, Failure, Reader, batch, invalid, run, utf8Valid } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

function decode(p: usize, n: usize, out: Buf): Failure | null {
  if (!utf8Valid(p, n)) return invalid("{{name}}: the block is not UTF-8 text");
  let lines: usize = 1;
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) == 0x0a) lines++;
  out.array(lines);
  let start: usize = 0;
  for (let i: usize = 0; i < n; i++) {
    if (load<u8>(p + i) == 0x0a) {
      out.textUtf8(p + start, i - start);
      start = i + 1;
    }
  }
  out.textUtf8(p + start, n - start);
  return null;
}

function encode(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const count = r.array();
  if (r.error === null && count == 0) return invalid("{{name}}: a document has at least one line");
  for (let i: usize = 0; i < count && r.error === null; i++) {
    const len = r.text();
    for (let j: usize = 0; j < len; j++) {
      if (load<u8>(r.at + j) == 0x0a) return invalid("{{name}}: a line holds a newline");
    }
    if (i > 0) out.byte(0x0a);
    out.put(r.at, len);
  }
  r.finish();
  return r.error;
}

export function ac_decode(p: usize, n: usize): i32 { return run(decode, p, n); }
export function ac_encode(p: usize, n: usize): i32 { return run(encode, p, n); }
export function ac_decode_batch(p: usize, n: usize): i32 { return batch(decode, p, n); }
