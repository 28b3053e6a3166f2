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
//   order by the caller (shorter first, then bytewise). Reader never reads past its end and
//   accepts strict DAG-CBOR only, with the C SDK's semantics and messages (acr_* in ac.h);
//   Reader.skip uses no recursion (MAX_DEPTH levels in a static table).
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
  /** The negative integer -1 - m (m = 2^64-1 writes -2^64, the least DAG-CBOR holds). */
  neg(m: u64): void { this.head(1, m); }
  /** A float, always 64-bit (as DAG-CBOR requires); NaN and +-Inf write nothing and give the
   *  ERR_INVALID failure to return (DAG-CBOR has no form for them). */
  float64(v: f64): Failure | null {
    if (!isFinite(v)) return invalid("NaN and Infinity are not allowed in DAG-CBOR");
    this.byte(0xfb);
    const bits = reinterpret<u64>(v);
    for (let i = 7; i >= 0; i--) this.byte(<u8>(bits >> (<u64>(8 * i))));
    return null;
  }
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

/** Nesting Reader.skip accepts (the host's DecodeLimits.max_depth and the C SDK's AC_MAX_DEPTH). */
export const MAX_DEPTH: i32 = 1024;

// Reader.skip's open containers, 16 bytes a level: u64 items left (a map counts keys and values),
// u32 address of the map's previous key (0: none), u32 its length | 1 << 31 for a map. Static, as
// skip never recurses and a call runs alone; the stub runtime's heap could not give it back.
const LEVELS: usize = memory.data((MAX_DEPTH + 1) * 16, 8);
const MAP_BIT: u32 = 0x80000000;

/** A strict DAG-CBOR reader over [p, end), with the C SDK's semantics and messages (acr_*):
 *  minimal heads, no indefinite lengths, tag 42 only, simple values false/true/null only, floats
 *  64-bit and finite, valid UTF-8, lengths bounded by the bytes left. A failure sets `error`
 *  (sticky: later reads return 0 and leave it) to ERR_INVALID with the message
 *  "DAG-CBOR: <what> at byte <offset>". */
export class Reader {
  error: Failure | null = null;
  /** After bytes(), text() and cid(): where the string's bytes (the CID) start. */
  at: usize = 0;
  /** After integer(): whether the value is -1 - m rather than m. */
  negative: bool = false;
  start: usize;
  constructor(public p: usize, public end: usize) { this.start = p; }

  done(): bool { return this.p >= this.end; }
  /** Bytes not read yet (0 after an error). */
  left(): usize { return this.error !== null ? 0 : this.end - this.p; }
  /** Record a failure at address `at` (the first one stays); returns 0. */
  failAt(at: usize, msg: string): u64 {
    if (this.error === null) this.error = invalid("DAG-CBOR: " + msg + " at byte " + (at - this.start).toString());
    this.p = this.end;
    return 0;
  }
  fail(msg: string): u64 { return this.failAt(this.p, msg); }

  /** Major type of the last nextHead(). */
  major: u8 = 0;
  /** The next head, validated (acr_head): sets `major` and returns the argument (for major 7 the
   *  raw simple value or float bits). Lengths are checked against the bytes left only by the
   *  typed readers. */
  nextHead(): u64 {
    if (this.error !== null) return 0;
    const at = this.p;
    if (at >= this.end) return this.failAt(at, "unexpected end of data");
    const ib = load<u8>(at);
    const m = ib >> 5, ai = ib & 31;
    let extra: usize = 0;
    if (ai < 24) extra = 0;
    else if (ai <= 27) extra = <usize>1 << <usize>(ai - 24);
    else if (ai == 31) return this.failAt(at, "indefinite length items are not allowed");
    else return this.failAt(at, "reserved additional information");
    if (this.end - at - 1 < extra) return this.failAt(at, "unexpected end of data");
    let v: u64 = ai < 24 ? <u64>ai : 0;
    for (let i: usize = 0; i < extra; i++) v = (v << 8) | <u64>load<u8>(at + 1 + i);
    if (m == 7) {
      if (ai == 27) {
        if (((v >> 52) & 0x7ff) == 0x7ff) return this.failAt(at, "NaN and Infinity are not allowed");
      } else if (ai < 20 || ai > 22) {
        return this.failAt(at, ai == 25 || ai == 26 ? "floats must be 64-bit" : "only true, false and null simple values are allowed");
      }
    } else {
      const min: u64 = ai == 24 ? 24 : ai == 25 ? 0x100 : ai == 26 ? 0x10000 : 0x100000000;
      if (ai >= 24 && v < min) return this.failAt(at, "integer or length not minimally encoded");
      if (m == 6 && v != 42) return this.failAt(at, "only tag 42 (CID) is allowed");
    }
    this.p = at + 1 + extra;
    this.major = m;
    return v;
  }
  private expect(want: u8, what: string): u64 {
    const at = this.p;
    const v = this.nextHead();
    if (this.error !== null) return 0;
    if (this.major != want) return this.failAt(at, what);
    return v;
  }
  /** The head of an item of major type `major` (0-7): its argument. */
  head(major: u8): u64 {
    const what = major == 0 ? "expected an unsigned integer" : major == 1 ? "expected a negative integer"
      : major == 2 ? "expected bytes" : major == 3 ? "expected a string" : major == 4 ? "expected an array"
      : major == 5 ? "expected a map" : major == 6 ? "expected a link (tag 42)" : "expected a boolean, null or a float";
    return this.expect(major, what);
  }
  private span(major: u8, what: string): usize {
    const at = this.p;
    const n = this.expect(major, what);
    if (this.error !== null) return 0;
    if (n > <u64>(this.end - this.p)) { this.failAt(at, "length runs past the end of data"); return 0; }
    this.at = this.p;
    this.p += <usize>n;
    return <usize>n;
  }
  /** An unsigned integer, 0 ..= 2^64-1. */
  uint(): u64 { return this.expect(0, "expected an unsigned integer"); }
  /** Any integer, -2^64 ..= 2^64-1: returns m and sets `negative` (the value is then -1 - m). */
  integer(): u64 {
    const at = this.p;
    const v = this.nextHead();
    if (this.error !== null) return 0;
    if (this.major > 1) return this.failAt(at, "expected an integer");
    this.negative = this.major == 1;
    return v;
  }
  /** Any integer that fits in i64. */
  int(): i64 {
    const at = this.p;
    const m = this.integer();
    if (this.error !== null) return 0;
    if (m > <u64>i64.MAX_VALUE) { this.failAt(at, "integer out of 64-bit range"); return 0; }
    return this.negative ? -1 - <i64>m : <i64>m;
  }
  /** A byte string: sets `at` and returns the length. */
  bytes(): usize { return this.span(2, "expected bytes"); }
  /** A text string (valid UTF-8): sets `at` and returns the length in bytes. */
  text(): usize {
    const start = this.p;
    const n = this.span(3, "expected a string");
    if (this.error === null && !utf8Valid(this.at, n)) { this.failAt(start, "string is not valid UTF-8"); return 0; }
    return n;
  }
  /** An array's item count (bounded by the bytes left). */
  array(): usize {
    const at = this.p;
    const n = this.expect(4, "expected an array");
    if (this.error === null && n > <u64>(this.end - this.p)) { this.failAt(at, "array length runs past the end of data"); return 0; }
    return <usize>n;
  }
  /** A map's count of key/value pairs (bounded by the bytes left). */
  map(): usize {
    const at = this.p;
    const n = this.expect(5, "expected a map");
    if (this.error === null && n > <u64>((this.end - this.p) / 2)) { this.failAt(at, "map length runs past the end of data"); return 0; }
    return <usize>n;
  }
  bool(): bool {
    const at = this.p;
    this.expect(7, "expected a boolean");
    if (this.error !== null) return false;
    const b = load<u8>(at);
    if (b != 0xf4 && b != 0xf5) { this.failAt(at, "expected a boolean"); return false; }
    return b == 0xf5;
  }
  null(): void { if (this.error === null && !this.tryNull()) this.fail("expected null"); }
  /** True (and consumed) if the next item is null: an optional field. */
  tryNull(): bool {
    if (this.error === null && this.p < this.end && load<u8>(this.p) == 0xf6) { this.p++; return true; }
    return false;
  }
  /** A float (DAG-CBOR has only finite 64-bit ones; -0.0 is one of them). */
  float64(): f64 {
    const at = this.p;
    const bits = this.expect(7, "expected a float");
    if (this.error !== null) return 0;
    if (load<u8>(at) != 0xfb) { this.failAt(at, "expected a float"); return 0; }
    return reinterpret<f64>(bits);
  }
  /** The major type (0-7) of the next item, -1 at the end or after an error; nothing is consumed.
   *  Tells a link (6) from bytes (2), text (3)... before choosing the reader. */
  peek(): i32 { return this.error !== null || this.p >= this.end ? -1 : <i32>(load<u8>(this.p) >> 5); }
  /** After a tag 42 head: the 0x00-prefixed binary CID; sets `at` past the prefix. */
  private cidBody(): usize {
    const n = this.span(2, "tag 42 must wrap bytes");
    if (this.error !== null) return 0;
    if (n == 0 || load<u8>(this.at) != 0) { this.fail("tag 42 bytes must start with 0x00"); return 0; }
    if (!cidValid(this.at + 1, n - 1)) { this.fail("tag 42 holds a malformed CID"); return 0; }
    this.at += 1;
    return n - 1;
  }
  /** A link (tag 42): sets `at` to the binary CID without its 0x00 prefix and returns its length,
   *  checked as the host checks one (cidValid). */
  cid(): usize {
    this.expect(6, "expected a link (tag 42)");
    if (this.error !== null) return 0;
    return this.cidBody();
  }
  /** Skip one whole item of any kind, validated as strictly as the typed readers (map keys text in
   *  canonical order, no duplicates). No recursion: nesting deeper than MAX_DEPTH fails
   *  "nesting too deep". */
  skip(): void {
    if (this.error !== null) return;
    let d: usize = 0;
    store<u64>(LEVELS, 1);
    store<u32>(LEVELS, 0, 8);
    store<u32>(LEVELS, 0, 12);
    for (;;) {
      while (load<u64>(LEVELS + d * 16) == 0) {
        if (d == 0) return;
        d--;
      }
      const lv = LEVELS + d * 16;
      const rem = load<u64>(lv);
      const info = load<u32>(lv, 12);
      const isKey = (info & MAP_BIT) != 0 && (rem & 1) == 0;
      store<u64>(lv, rem - 1);
      const at = this.p;
      if (isKey) {
        if (this.p < this.end && (load<u8>(this.p) >> 5) != 3) { this.failAt(at, "map keys must be strings"); return; }
        const kn = this.text();
        if (this.error !== null) return;
        const prev = <usize>load<u32>(lv, 8), pn = <usize>(info & ~MAP_BIT);
        if (prev != 0) {
          const order = keyOrder(prev, pn, this.at, kn);
          if (order >= 0) { this.failAt(at, order == 0 ? "duplicate map key" : "map keys not in canonical order"); return; }
        }
        store<u32>(lv, <u32>this.at, 8);
        store<u32>(lv, MAP_BIT | <u32>kn, 12);
        continue;
      }
      const arg = this.nextHead();
      if (this.error !== null) return;
      const m = this.major;
      const room = <u64>(this.end - this.p);
      if (m == 2 || m == 3) {
        if (arg > room) { this.failAt(at, "length runs past the end of data"); return; }
        if (m == 3 && !utf8Valid(this.p, <usize>arg)) { this.failAt(at, "string is not valid UTF-8"); return; }
        this.p += <usize>arg;
      } else if (m == 4 || m == 5) {
        if ((m == 5 && arg > room / 2) || (m == 4 && arg > room)) { this.failAt(at, "length runs past the end of data"); return; }
        if (d >= <usize>MAX_DEPTH) { this.failAt(at, "nesting too deep"); return; }
        if (arg > 0) {
          d++;
          const nl = LEVELS + d * 16;
          store<u64>(nl, m == 5 ? arg * 2 : arg);
          store<u32>(nl, 0, 8);
          store<u32>(nl, m == 5 ? MAP_BIT : 0, 12);
        }
      } else if (m == 6) {
        this.cidBody();
        if (this.error !== null) return;
      } // 0, 1, 7: fully validated by nextHead
    }
  }
  /** Fail unless every byte was read. */
  finish(): void { if (this.error === null && !this.done()) this.fail("trailing bytes after the item"); }
}

/** Canonical DAG-CBOR key order of [a, a + an) and [b, b + bn): -1 before (shorter first, then
 *  bytewise), 0 equal, 1 after. */
export function keyOrder(a: usize, an: usize, b: usize, bn: usize): i32 {
  if (an != bn) return an < bn ? -1 : 1;
  const c = memory.compare(a, b, an);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
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
