// A toy chunker: fixed-size chunks of params {"size": N} bytes (1 <= N <= 2^20).
// Output: u64 LE absolute offsets of chunk ends; state: the stream position (globals).
import { Buf, Failure, Reader, invalid, run, run0 } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

let size: u64 = 0;
let pos: u64 = 0;
let lastEnd: u64 = 0;

function isKey(r: Reader, n: usize, key: string): bool {
  if (n != <usize>key.length) return false;
  for (let i = 0; i < key.length; i++) if (<i32>load<u8>(r.at + <usize>i) != key.charCodeAt(i)) return false;
  return true;
}

function init(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const count = r.map();
  size = 0;
  for (let i: usize = 0; i < count && r.error === null; i++) {
    const len = r.text();
    if (r.error === null && !isKey(r, len, "size")) return invalid("{{name}}: the only parameter is size");
    size = r.uint();
  }
  r.finish();
  if (r.error !== null) return r.error;
  if (size < 1 || size > (1 << 20)) return invalid("{{name}}: size must be 1..1048576");
  pos = 0;
  lastEnd = 0;
  return null;
}

function update(p: usize, n: usize, out: Buf): Failure | null {
  if (size == 0) return invalid("{{name}}: ac_chunk_init was not called");
  pos += <u64>n;
  while (pos - lastEnd >= size) {
    lastEnd += size;
    out.le64(lastEnd);
  }
  return null;
}

function final(out: Buf): Failure | null {
  if (pos > lastEnd) {
    lastEnd = pos;
    out.le64(pos);
  }
  return null;
}

export function ac_chunk_init(p: usize, n: usize): i32 { return run(init, p, n); }
export function ac_chunk_update(p: usize, n: usize): i32 { return run(update, p, n); }
export function ac_chunk_final(): i32 { return run0(final); }
