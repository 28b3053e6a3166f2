// bencode (BEP 3), strict canonical, under a private-use code: decode to the IPLD data model
// (integers, byte strings as Bytes, lists, dictionaries with UTF-8 keys as Maps), encode back.
import { Buf, Failure, Reader, batch, invalid, keyOrder, run, utf8Valid } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

const MAX_DEPTH = 64;

class Cur {
  constructor(public p: usize, public end: usize) {}
  err: Failure | null = null;
  bad(msg: string): void { if (this.err === null) this.err = invalid(msg); }
  at(): u8 { return load<u8>(this.p); }
  more(): bool { return this.err === null && this.p < this.end; }
}

function isDigit(c: u8): bool { return c >= 0x30 && c <= 0x39; }

function number(c: Cur, term: u8): u64 {
  const start = c.p;
  let v: u64 = 0;
  while (c.p < c.end && isDigit(c.at())) {
    const d = <u64>(c.at() - 0x30);
    if (v > (0xffffffffffffffff - d) / 10) { c.bad("bas: integer too large"); return 0; }
    v = v * 10 + d;
    c.p++;
  }
  const n = c.p - start;
  if (n == 0) { c.bad("bas: expected digits"); return 0; }
  if (n > 1 && load<u8>(start) == 0x30) { c.bad("bas: leading zero"); return 0; }
  if (c.p >= c.end || c.at() != term) { c.bad("bas: bad number terminator"); return 0; }
  c.p++;
  return v;
}

function rawLess(a: usize, an: usize, b: usize, bn: usize): bool {
  const n = an < bn ? an : bn;
  for (let i: usize = 0; i < n; i++) {
    const x = load<u8>(a + i), y = load<u8>(b + i);
    if (x != y) return x < y;
  }
  return an < bn;
}

function value(c: Cur, out: Buf | null, depth: i32): void {
  if (depth > MAX_DEPTH) { c.bad("bas: nested too deep"); return; }
  if (!c.more()) { c.bad("bas: truncated"); return; }
  const ch = c.at();
  if (ch == 0x69) { // i
    c.p++;
    const neg = c.p < c.end && c.at() == 0x2d;
    if (neg) c.p++;
    const m = number(c, 0x65);
    if (c.err !== null) return;
    if (neg && m == 0) { c.bad("bas: negative zero"); return; }
    if (out !== null) { if (neg) out.neg(m - 1); else out.uint(m); }
  } else if (isDigit(ch)) {
    const n = number(c, 0x3a);
    if (c.err !== null) return;
    if (n > <u64>(c.end - c.p)) { c.bad("bas: string longer than the input"); return; }
    if (out !== null) out.bytes(c.p, <usize>n);
    c.p += <usize>n;
  } else if (ch == 0x6c) { // l
    c.p++;
    const first = c.p;
    let n: usize = 0;
    while (c.more() && c.at() != 0x65) { value(c, null, depth + 1); n++; }
    if (c.err !== null) return;
    if (c.p >= c.end) { c.bad("bas: truncated list"); return; }
    const after = c.p + 1;
    if (out !== null) {
      out.array(n);
      c.p = first;
      for (let i: usize = 0; i < n; i++) value(c, out, depth + 1);
    }
    c.p = after;
  } else if (ch == 0x64) { // d
    dict(c, out, depth);
  } else c.bad("bas: not bencode");
}

function dict(c: Cur, out: Buf | null, depth: i32): void {
  const kp = new Array<usize>(), kn = new Array<usize>(), vp = new Array<usize>();
  c.p++;
  while (c.more() && c.at() != 0x65) {
    if (!isDigit(c.at())) { c.bad("bas: a key is not a string"); return; }
    const n = number(c, 0x3a);
    if (c.err !== null) return;
    if (n > <u64>(c.end - c.p)) { c.bad("bas: string longer than the input"); return; }
    const k = c.p, len = <usize>n;
    if (!utf8Valid(k, len)) { c.bad("bas: a key is not UTF-8"); return; }
    const count = kp.length;
    if (count > 0 && !rawLess(kp[count - 1], kn[count - 1], k, len)) { c.bad("bas: keys unsorted or duplicate"); return; }
    kp.push(k); kn.push(len);
    c.p += len;
    vp.push(c.p);
    value(c, null, depth + 1);
  }
  if (c.err !== null) return;
  if (c.p >= c.end) { c.bad("bas: truncated dictionary"); return; }
  const after = c.p + 1;
  if (out !== null) {
    const n = kp.length;
    out.map(<usize>n);
    const done = new Array<bool>(n);
    for (let j = 0; j < n; j++) {
      let best = -1;
      for (let x = 0; x < n; x++) {
        if (done[x]) continue;
        if (best < 0 || keyOrder(kp[x], kn[x], kp[best], kn[best]) < 0) best = x;
      }
      done[best] = true;
      out.textUtf8(kp[best], kn[best]);
      c.p = vp[best];
      value(c, out, depth + 1);
    }
  }
  c.p = after;
}

function decode(p: usize, n: usize, out: Buf): Failure | null {
  const c = new Cur(p, p + n);
  value(c, out, 0);
  if (c.err === null && c.p != c.end) c.bad("bas: trailing bytes");
  return c.err;
}

function decimal(out: Buf, v: u64): void {
  const s = v.toString();
  for (let i = 0; i < s.length; i++) out.byte(<u8>s.charCodeAt(i));
}

function encValue(r: Reader, out: Buf, depth: i32): Failure | null {
  if (depth > MAX_DEPTH) return invalid("bas: nested too deep");
  const major = r.peek();
  if (major == 0 || major == 1) {
    const m = r.integer();
    if (r.error !== null) return r.error;
    out.byte(0x69);
    if (r.negative) {
      if (m == 0xffffffffffffffff) return invalid("bas: integer too large");
      out.byte(0x2d); decimal(out, m + 1);
    } else decimal(out, m);
    out.byte(0x65);
  } else if (major == 2) {
    const n = r.bytes();
    if (r.error !== null) return r.error;
    decimal(out, <u64>n); out.byte(0x3a); out.put(r.at, n);
  } else if (major == 4) {
    const n = r.array();
    if (r.error !== null) return r.error;
    out.byte(0x6c);
    for (let i: usize = 0; i < n; i++) { const e = encValue(r, out, depth + 1); if (e !== null) return e; }
    out.byte(0x65);
  } else if (major == 5) {
    return encMap(r, out, depth);
  } else if (major < 0) {
    return r.error !== null ? r.error : invalid("bas: truncated");
  } else return invalid("bas: bencode holds only integers, bytes, lists and maps");
  return null;
}

function encMap(r: Reader, out: Buf, depth: i32): Failure | null {
  const n = <i32>r.map();
  if (r.error !== null) return r.error;
  const kp = new Array<usize>(), kn = new Array<usize>(), vp = new Array<usize>();
  for (let x = 0; x < n; x++) {
    const len = r.text();
    if (r.error !== null) return r.error;
    kp.push(r.at); kn.push(len); vp.push(r.p);
    r.skip();
    if (r.error !== null) return r.error;
  }
  const end = r.p;
  out.byte(0x64);
  const done = new Array<bool>(n);
  for (let j = 0; j < n; j++) {
    let best = -1;
    for (let x = 0; x < n; x++) {
      if (done[x]) continue;
      if (best < 0 || rawLess(kp[x], kn[x], kp[best], kn[best])) best = x;
    }
    done[best] = true;
    decimal(out, <u64>kn[best]); out.byte(0x3a); out.put(kp[best], kn[best]);
    r.p = vp[best];
    const e = encValue(r, out, depth + 1);
    if (e !== null) return e;
  }
  r.p = end;
  out.byte(0x65);
  return null;
}

function encode(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const e = encValue(r, out, 0);
  if (e !== null) return e;
  r.finish();
  return r.error;
}

export function ac_decode(p: usize, n: usize): i32 { return run(decode, p, n); }
export function ac_encode(p: usize, n: usize): i32 { return run(encode, p, n); }
export function ac_decode_batch(p: usize, n: usize): i32 { return batch(decode, p, n); }
