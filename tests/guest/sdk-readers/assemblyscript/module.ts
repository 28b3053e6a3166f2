// tests/guest/sdk-readers/README.md: each [kind, value] read with the named Reader method and
// written back with the matching Buf writer.
import { Buf, Failure, Reader, invalid, run } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

function one(r: Reader, kind: string, out: Buf): Failure | null {
  if (kind == "uint") { const v = r.uint(); if (r.error === null) out.uint(v); }
  else if (kind == "int") { const v = r.int(); if (r.error === null) out.int(v); }
  else if (kind == "integer") {
    const m = r.integer();
    if (r.error === null) { if (r.negative) out.neg(m); else out.uint(m); }
  }
  else if (kind == "neg") { const m = r.uint(); if (r.error === null) out.neg(m); }
  else if (kind == "bytes") { const n = r.bytes(); if (r.error === null) out.bytes(r.at, n); }
  else if (kind == "text") { const n = r.text(); if (r.error === null) out.textUtf8(r.at, n); }
  else if (kind == "cid") { const n = r.cid(); if (r.error === null) out.cid(r.at, n); }
  else if (kind == "bool") { const v = r.bool(); if (r.error === null) out.bool(v); }
  else if (kind == "null") { r.null(); if (r.error === null) out.null(); }
  else if (kind == "try_null") {
    const yes = r.tryNull();
    if (!yes) r.skip();
    if (r.error === null) out.bool(yes);
  }
  else if (kind == "float") { const v = r.float64(); if (r.error === null) return out.float64(v); }
  else if (kind == "float_bits") { const b = r.uint(); if (r.error === null) return out.float64(reinterpret<f64>(b)); }
  else if (kind == "array") {
    const n = r.array();
    for (let i: usize = 0; i < n && r.error === null; i++) r.skip();
    if (r.error === null) out.uint(<u64>n);
  }
  else if (kind == "map") {
    const n = r.map();
    for (let i: usize = 0; i < n && r.error === null; i++) { r.text(); r.skip(); }
    if (r.error === null) out.uint(<u64>n);
  }
  else if (kind == "skip") {
    const before = r.left();
    r.skip();
    if (r.error === null) out.uint(<u64>(before - r.left()));
  }
  else return invalid("unknown kind");
  return r.error;
}

function readAll(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const count = r.array();
  if (r.error !== null) return r.error;
  out.array(count);
  for (let i: usize = 0; i < count; i++) {
    if (r.array() != 2) return r.error !== null ? r.error : invalid("a pair is [kind, value]");
    const kn = r.text();
    if (r.error !== null) return r.error;
    const f = one(r, String.UTF8.decodeUnsafe(r.at, kn), out);
    if (f !== null) return f;
  }
  r.finish();
  return r.error;
}

export function ac_task(p: usize, n: usize): i32 { return run(readAll, p, n); }
