// ac.ts - the autocodec guest SDK for AssemblyScript (ABI v1, docs/abi.md).
//
// Build with `autocodec module build` (runtime "stub": a bump allocator, no GC, no imports).
// Invariants:
// - All memory of a call comes from the stub runtime's heap, which ac_input rewinds
//   (heap.reset), so nothing allocated in one call survives into the next; stream state of
//   hashers and chunkers lives in plain globals (numbers), never in heap objects.
// - Running out of memory traps (the stub runtime's behaviour): the host reports it as a
//   sandbox error, never as a wrong result.
// - Buf writes canonical DAG-CBOR heads (shortest form); map keys must be written in canonical
//   order by the caller (shorter first, then bytewise). Reader rejects non-minimal heads and
//   never reads past its end.
// Status codes come from ac_abi.ts, generated from autocodec/abi.py.
import { ABI_VERSION, OK, ERR_INVALID } from "./ac_abi";
export { ABI_VERSION, OK, ERR_INVALID, ERR_UNSUPPORTED, ERR_NOMEM, ERR_INTERNAL } from "./ac_abi";

const SLOT: usize = memory.data(8, 8);

/** Point the result slot at [p, p + n). */
export function setResult(p: usize, n: usize): void {
  store<u32>(SLOT, <u32>p);
  store<u32>(SLOT + 4, <u32>n);
}

/** An error: the status and its UTF-8 message. Item functions return null or one of these. */
export class Failure {
  constructor(public status: i32, public message: string) {}
}

/** A failure with status ERR_INVALID (malformed input). */
export function invalid(message: string): Failure {
  return new Failure(ERR_INVALID, message);
}

/** A growable byte buffer in the per-call heap; its writers emit canonical DAG-CBOR. */
export class Buf {
  ptr: usize = 0;
  len: usize = 0;
  cap: usize = 0;

  private grow(n: usize): usize {
    if (this.len + n > this.cap) {
      let cap: usize = this.cap == 0 ? 64 : this.cap * 2;
      while (cap < this.len + n) cap *= 2;
      const p = heap.alloc(cap);
      if (this.len > 0) memory.copy(p, this.ptr, this.len);
      this.ptr = p;
      this.cap = cap;
    }
    const at = this.ptr + this.len;
    this.len += n;
    return at;
  }
  byte(c: u8): void { store<u8>(this.grow(1), c); }
  put(p: usize, n: usize): void { if (n > 0) memory.copy(this.grow(n), p, n); }
  le64(v: u64): void { store<u64>(this.grow(8), v); }
  head(major: u8, arg: u64): void {
    const m = <u8>(major << 5);
    if (arg < 24) { this.byte(m | <u8>arg); return; }
    let n: i32 = 8, ai: u8 = 27;
    if (arg <= 0xff) { n = 1; ai = 24; } else if (arg <= 0xffff) { n = 2; ai = 25; }
    else if (arg <= 0xffffffff) { n = 4; ai = 26; }
    this.byte(m | ai);
    for (let i = n - 1; i >= 0; i--) this.byte(<u8>(arg >> (<u64>(8 * i))));
  }
  uint(v: u64): void { this.head(0, v); }
  int(v: i64): void { if (v >= 0) this.head(0, <u64>v); else this.head(1, <u64>(-(v + 1))); }
  bytes(p: usize, n: usize): void { this.head(2, <u64>n); this.put(p, n); }
  /** Text given as UTF-8 bytes already checked (see utf8Valid). */
  textUtf8(p: usize, n: usize): void { this.head(3, <u64>n); this.put(p, n); }
  /** An AssemblyScript string, encoded to UTF-8; a lone surrogate (UTF-16 that has no UTF-8 form)
   *  becomes U+FFFD, as a TextEncoder writes it, so the text is always valid. */
  text(s: string): void {
    const b = utf8(s);
    this.textUtf8(changetype<usize>(b), <usize>b.byteLength);
  }
  array(n: usize): void { this.head(4, <u64>n); }
  map(n: usize): void { this.head(5, <u64>n); }
  bool(v: bool): void { this.byte(v ? 0xf5 : 0xf4); }
  null(): void { this.byte(0xf6); }
  /** A link: tag 42 over 0x00 ++ the binary CID at [p, p + n). */
  cid(p: usize, n: usize): void { this.head(6, 42); this.head(2, <u64>(n + 1)); this.byte(0); this.put(p, n); }
}

/** True if [p, p + n) is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
export function utf8Valid(p: usize, n: usize): bool {
  let i: usize = 0;
  while (i < n) {
    const c = <u32>load<u8>(p + i);
    if (c < 0x80) { i++; continue; }
    let k: usize = 0, cp: u32 = 0;
    if (c >= 0xc2 && c <= 0xdf) { k = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { k = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { k = 3; cp = c & 0x07; }
    else return false;
    if (i + k >= n) return false;
    for (let j: usize = 1; j <= k; j++) {
      const d = <u32>load<u8>(p + i + j);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff))) return false;
    if (cp >= 0xd800 && cp <= 0xdfff) return false;
    i += k + 1;
  }
  return true;
}

/** A strict DAG-CBOR reader over [p, end). Each read sets `error` on failure (sticky). */
export class Reader {
  error: Failure | null = null;
  constructor(public p: usize, public end: usize) {}

  done(): bool { return this.p >= this.end; }
  fail(msg: string): u64 { if (this.error === null) this.error = invalid(msg); this.p = this.end; return 0; }
  head(major: u8): u64 {
    if (this.error !== null) return 0;
    if (this.p >= this.end) return this.fail("unexpected end of DAG-CBOR");
    const b = load<u8>(this.p);
    if ((b >> 5) != major) return this.fail("unexpected DAG-CBOR type");
    const ai = b & 0x1f;
    this.p++;
    if (ai < 24) return <u64>ai;
    if (ai > 27) return this.fail("indefinite or reserved DAG-CBOR head");
    const n = <usize>1 << <usize>(ai - 24);
    if (this.end - this.p < n) return this.fail("truncated DAG-CBOR head");
    let v: u64 = 0;
    for (let i: usize = 0; i < n; i++) v = (v << 8) | <u64>load<u8>(this.p + i);
    this.p += n;
    const min: u64 = n == 1 ? 24 : n == 2 ? 0x100 : n == 4 ? 0x10000 : 0x100000000;
    if (v < min) return this.fail("non-minimal DAG-CBOR head");
    return v;
  }
  uint(): u64 { return this.head(0); }
  /** A container's item count, bounded by the bytes left. */
  array(): usize { return this.count(this.head(4)); }
  map(): usize { return this.count(this.head(5)); }
  private count(n: u64): usize {
    if (n > <u64>(this.end - this.p)) { this.fail("container longer than its bytes"); return 0; }
    return <usize>n;
  }
  /** A byte or text string's bytes: sets `at` and returns the length. */
  at: usize = 0;
  bytes(): usize { return this.take(this.head(2)); }
  text(): usize {
    const n = this.take(this.head(3));
    if (this.error === null && !utf8Valid(this.at, n)) { this.fail("text is not valid UTF-8"); return 0; }
    return n;
  }
  private take(n: u64): usize {
    if (this.error !== null) return 0;
    if (n > <u64>(this.end - this.p)) { this.fail("DAG-CBOR length past the end"); return 0; }
    this.at = this.p;
    this.p += <usize>n;
    return <usize>n;
  }
  /** The major type (0-7) of the next item, -1 at the end or after an error; nothing is consumed.
   *  Tells a link (6) from bytes (2), text (3)... before choosing the reader. */
  peek(): i32 { return this.error !== null || this.p >= this.end ? -1 : <i32>(load<u8>(this.p) >> 5); }
  /** A link (tag 42): sets `at` to the binary CID without its 0x00 prefix and returns its length,
   *  checked as the host checks one (cidValid). */
  cid(): usize {
    if (this.head(6) != 42) { this.fail("only tag 42 (CID) is allowed"); return 0; }
    const n = this.bytes();
    if (this.error !== null) return 0;
    if (n == 0 || load<u8>(this.at) != 0) { this.fail("tag 42 bytes must start with 0x00"); return 0; }
    if (!cidValid(this.at + 1, n - 1)) { this.fail("tag 42 holds a malformed CID"); return 0; }
    this.at += 1;
    return n - 1;
  }
  /** Fail unless every byte was read. */
  finish(): void { if (this.error === null && !this.done()) this.fail("trailing bytes after the DAG-CBOR item"); }
}

/** True if [p, p + n) is a structurally valid binary CID: CIDv0 (0x12 0x20 + 32 bytes) or CIDv1
 *  (0x01, then minimal unsigned varints of at most 9 bytes for codec, hash code and length, and a
 *  digest of at most 1024 bytes that ends the CID): what the host and the C SDK's ac_cid_check accept. */
export function cidValid(p: usize, n: usize): bool {
  if (n == 34 && load<u8>(p) == 0x12 && load<u8>(p + 1) == 0x20) return true;
  if (n < 4 || load<u8>(p) != 0x01) return false;
  let pos: usize = 1, v: u64 = 0;
  for (let k = 0; k < 3; k++) {
    v = 0;
    let i: u64 = 0;
    for (;;) {
      if (i == 9 || pos >= n) return false;
      const c = load<u8>(p + pos);
      pos++;
      v |= (<u64>(c & 0x7f)) << (7 * i);
      if ((c & 0x80) == 0) {
        if (c == 0 && i > 0) return false;
        break;
      }
      i++;
    }
  }
  return v <= 1024 && v == <u64>(n - pos);
}

/** Signature of an item function: input [p, p + n), output appended to `out`. */
export type ItemFn = (p: usize, n: usize, out: Buf) => Failure | null;
export type FinalFn = (out: Buf) => Failure | null;

/** `s` as valid UTF-8 (a lone surrogate becomes U+FFFD; the default mode writes it as WTF-8). */
function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE);
}

function report(f: Failure): i32 {
  const b = utf8(f.message);
  setResult(changetype<usize>(b), <usize>b.byteLength);
  return f.status;
}

/** Run an item function under the ABI: status returned, result slot set. */
export function run(fn: ItemFn, p: usize, n: usize): i32 {
  const out = new Buf();
  const f = fn(p, n, out);
  if (f !== null) return report(f);
  setResult(out.ptr, out.len);
  return OK;
}

export function run0(fn: FinalFn): i32 {
  const out = new Buf();
  const f = fn(out);
  if (f !== null) return report(f);
  setResult(out.ptr, out.len);
  return OK;
}

/** Decode a batch frame (docs/abi.md section 3) with `fn` per item. */
export function batch(fn: ItemFn, p: usize, n: usize): i32 {
  if (n < 4) return report(invalid("batch frame shorter than its count"));
  const count = load<u32>(p);
  let pos: usize = 4;
  const out = new Buf();
  for (let i: u32 = 0; i < count; i++) {
    if (n - pos < 4) return report(invalid("batch frame truncated"));
    const len = <usize>load<u32>(p + pos);
    pos += 4;
    if (len > n - pos) return report(invalid("batch item past the end"));
    const one = new Buf();
    const f = fn(p + pos, len, one);
    pos += len;
    if (f === null) {
      out.le64(<u64>one.len << 32);
      out.put(one.ptr, one.len);
    } else {
      const m = utf8(f.message);
      out.le64(<u64>f.status | (<u64>m.byteLength << 32));
      out.put(changetype<usize>(m), <usize>m.byteLength);
    }
  }
  if (pos != n) return report(invalid("trailing bytes after the batch frame"));
  setResult(out.ptr, out.len);
  return OK;
}

// ---- the entry points every kind exports (re-export them from module.ts) -------------
export function ac_abi_version(): i32 { return ABI_VERSION; }

export function ac_input(n: usize): usize {
  heap.reset();
  if (n == 0) return heap.alloc(1);
  return heap.alloc(n);
}

export function ac_result(): usize { return SLOT; }
