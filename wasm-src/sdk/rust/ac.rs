//! ac.rs - the autocodec guest SDK for Rust (ABI v1, docs/abi.md), `no_std`, no dependencies.
//!
//! Invariants:
//! - Every byte a call allocates comes from the arena [__heap_base, top); `ac_input` rewinds
//!   it, so nothing survives from one call to the next (stream state lives in statics).
//! - `alloc` never traps: it returns None when linear memory cannot grow (-> ERR_NOMEM).
//! - `Buf` writes canonical DAG-CBOR heads (shortest form); map keys must be written in
//!   canonical order by the caller (shorter first, then bytewise).
//! - `Reader` never reads outside its slice and accepts strict DAG-CBOR only, with the C SDK's
//!   semantics and messages (acr_* in ac.h); `skip`/`walk` use no recursion (MAX_DEPTH levels).
//! - A panic traps (unreachable): the host reports a sandbox error, never a wrong result.
//! Status codes and the ABI version come from ac_abi.rs, generated from autocodec/abi.py.
#![allow(dead_code)]

#[path = "ac_abi.rs"]
pub mod abi;
pub use abi::*;

use core::arch::wasm32;

/// A failure: status (ERR_*) with its message already in the result slot.
#[derive(Clone, Copy, Debug)]
pub struct Fail(pub i32);
pub type Result<T> = core::result::Result<T, Fail>;

extern "C" {
    static __heap_base: u8;
}

static mut SLOT: [u32; 2] = [0, 0];
static mut TOP: usize = 0;

fn base() -> usize {
    // Only the address of the linker symbol is taken (no read).
    (core::ptr::addr_of!(__heap_base) as usize + 7) & !7
}

/// `n` bytes, 8-aligned, from the per-call arena; None when memory cannot grow.
pub fn alloc(n: usize) -> Option<&'static mut [u8]> {
    // SAFETY: single-threaded Wasm; TOP is only touched here and in ac_input.
    unsafe {
        if TOP == 0 {
            TOP = base();
        }
        let start = (TOP + 7) & !7;
        let end = start.checked_add(n)?;
        let have = wasm32::memory_size(0) * 65536;
        if end > have && wasm32::memory_grow(0, (end - have + 65535) / 65536) == usize::MAX {
            return None;
        }
        TOP = end;
        Some(core::slice::from_raw_parts_mut(start as *mut u8, n))
    }
}

/// Point the result slot at `bytes`.
pub fn set_result(bytes: &[u8]) {
    // SAFETY: single-threaded Wasm.
    unsafe {
        SLOT = [bytes.as_ptr() as u32, bytes.len() as u32];
    }
}

/// Put `msg` in the result slot and return the failure `status`.
pub fn fail(status: i32, msg: &str) -> Fail {
    match alloc(msg.len()) {
        Some(p) => {
            p.copy_from_slice(msg.as_bytes());
            set_result(p);
        }
        None => set_result(&[]),
    }
    Fail(status)
}

/// A failure with status ERR_INVALID (malformed input).
pub fn invalid(msg: &str) -> Fail {
    fail(ERR_INVALID, msg)
}

/// A growable output buffer in the arena.
pub struct Buf {
    data: &'static mut [u8],
    len: usize,
}

impl Buf {
    pub fn new() -> Buf {
        Buf { data: &mut [], len: 0 }
    }
    pub fn bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }
    pub fn extend(&mut self, n: usize) -> Result<&mut [u8]> {
        if self.len + n > self.data.len() {
            let mut cap = if self.data.is_empty() { 64 } else { self.data.len() * 2 };
            while cap < self.len + n {
                cap *= 2;
            }
            let p = alloc(cap).ok_or_else(|| fail(ERR_NOMEM, "out of memory"))?;
            p[..self.len].copy_from_slice(&self.data[..self.len]);
            self.data = p;
        }
        let at = self.len;
        self.len += n;
        Ok(&mut self.data[at..at + n])
    }
    pub fn put(&mut self, b: &[u8]) -> Result<()> {
        self.extend(b.len())?.copy_from_slice(b);
        Ok(())
    }
    pub fn byte(&mut self, c: u8) -> Result<()> {
        self.put(&[c])
    }
    pub fn le64(&mut self, v: u64) -> Result<()> {
        self.put(&v.to_le_bytes())
    }
    // ---- canonical DAG-CBOR writer -------------------------------------------------
    pub fn head(&mut self, major: u8, arg: u64) -> Result<()> {
        let m = major << 5;
        let be = arg.to_be_bytes();
        match arg {
            0..=23 => self.byte(m | arg as u8),
            24..=0xff => self.put(&[m | 24, arg as u8]),
            0x100..=0xffff => {
                self.byte(m | 25)?;
                self.put(&be[6..])
            }
            0x1_0000..=0xffff_ffff => {
                self.byte(m | 26)?;
                self.put(&be[4..])
            }
            _ => {
                self.byte(m | 27)?;
                self.put(&be)
            }
        }
    }
    pub fn uint(&mut self, v: u64) -> Result<()> {
        self.head(0, v)
    }
    pub fn int(&mut self, v: i64) -> Result<()> {
        if v >= 0 { self.head(0, v as u64) } else { self.head(1, !(v as u64)) }
    }
    /// The negative integer -1 - m (m = 2^64-1 writes -2^64, the least DAG-CBOR holds).
    pub fn neg(&mut self, m: u64) -> Result<()> {
        self.head(1, m)
    }
    /// A float, always 64-bit (as DAG-CBOR requires); NaN and +-Inf fail ERR_INVALID (DAG-CBOR
    /// has no form for them).
    pub fn float64(&mut self, v: f64) -> Result<()> {
        if !v.is_finite() {
            return Err(invalid("NaN and Infinity are not allowed in DAG-CBOR"));
        }
        self.byte(0xfb)?;
        self.put(&v.to_bits().to_be_bytes())
    }
    pub fn bytes_item(&mut self, b: &[u8]) -> Result<()> {
        self.head(2, b.len() as u64)?;
        self.put(b)
    }
    pub fn text(&mut self, s: &str) -> Result<()> {
        self.head(3, s.len() as u64)?;
        self.put(s.as_bytes())
    }
    pub fn array(&mut self, n: usize) -> Result<()> {
        self.head(4, n as u64)
    }
    pub fn map(&mut self, n: usize) -> Result<()> {
        self.head(5, n as u64)
    }
    pub fn boolean(&mut self, v: bool) -> Result<()> {
        self.byte(if v { 0xf5 } else { 0xf4 })
    }
    pub fn null(&mut self) -> Result<()> {
        self.byte(0xf6)
    }
    /// A link: tag 42 over 0x00 ++ the binary CID.
    pub fn cid(&mut self, c: &[u8]) -> Result<()> {
        self.head(6, 42)?;
        self.head(2, c.len() as u64 + 1)?;
        self.byte(0)?;
        self.put(c)
    }
}

/// Nesting `Reader::skip` and `Reader::walk` accept (matches the host's DecodeLimits.max_depth
/// and the C SDK's AC_MAX_DEPTH).
pub const MAX_DEPTH: usize = 1024;

/// `msg` as the C SDK words a reader failure: "DAG-CBOR: <msg> at byte <at>".
fn fail_at(msg: &str, at: usize) -> Fail {
    let mut buf = [0u8; 160];
    let mut n = 0usize;
    let mut push = |b: &[u8]| {
        let k = b.len().min(buf.len() - n);
        buf[n..n + k].copy_from_slice(&b[..k]);
        n += k;
    };
    push(b"DAG-CBOR: ");
    push(msg.as_bytes());
    push(b" at byte ");
    let mut digits = [0u8; 20];
    let (mut i, mut v) = (digits.len(), at);
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    push(&digits[i..]);
    // The messages are ASCII, so a cut at the buffer's end never splits a character.
    fail(ERR_INVALID, core::str::from_utf8(&buf[..n]).unwrap_or("DAG-CBOR: invalid input"))
}

/// One open container of `Reader::walk`: items left (a map counts keys and values) and the
/// previous key of a map (for the canonical order check).
#[derive(Clone, Copy)]
struct Level {
    rem: u64,
    key: Option<(usize, usize)>,
    is_map: bool,
}

/// A strict DAG-CBOR reader over a slice, with the C SDK's semantics and messages (acr_*):
/// minimal heads, no indefinite lengths, tag 42 only, simple values false/true/null only,
/// floats 64-bit and finite, valid UTF-8, lengths bounded by the bytes left. A failure puts
/// "DAG-CBOR: <what> at byte <offset>" in the result slot and returns ERR_INVALID.
pub struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(s: &'a [u8]) -> Reader<'a> {
        Reader { s, pos: 0 }
    }
    pub fn done(&self) -> bool {
        self.pos >= self.s.len()
    }
    /// Bytes not read yet.
    pub fn left(&self) -> usize {
        self.s.len() - self.pos
    }
    /// The next head, validated (acr_head): major type and argument (for major 7 the raw
    /// simple value or float bits). Lengths are checked against the bytes left only by the
    /// typed readers.
    pub fn next_head(&mut self) -> Result<(u8, u64)> {
        let at = self.pos;
        let ib = *self.s.get(at).ok_or_else(|| fail_at("unexpected end of data", at))?;
        let (m, ai) = (ib >> 5, ib & 31);
        let extra = match ai {
            0..=23 => 0usize,
            24..=27 => 1usize << (ai - 24),
            31 => return Err(fail_at("indefinite length items are not allowed", at)),
            _ => return Err(fail_at("reserved additional information", at)),
        };
        if self.s.len() - at - 1 < extra {
            return Err(fail_at("unexpected end of data", at));
        }
        let v = if ai < 24 { ai as u64 } else { self.s[at + 1..at + 1 + extra].iter().fold(0u64, |v, &d| (v << 8) | d as u64) };
        if m == 7 {
            if ai == 27 {
                if (v >> 52) & 0x7ff == 0x7ff {
                    return Err(fail_at("NaN and Infinity are not allowed", at));
                }
            } else if !(20..=22).contains(&ai) {
                let why = if ai == 25 || ai == 26 { "floats must be 64-bit" } else { "only true, false and null simple values are allowed" };
                return Err(fail_at(why, at));
            }
        } else {
            if ai >= 24 && v < [24u64, 0x100, 0x1_0000, 0x1_0000_0000][(ai - 24) as usize] {
                return Err(fail_at("integer or length not minimally encoded", at));
            }
            if m == 6 && v != 42 {
                return Err(fail_at("only tag 42 (CID) is allowed", at));
            }
        }
        self.pos = at + 1 + extra;
        Ok((m, v))
    }
    fn expect(&mut self, want: u8, what: &str) -> Result<u64> {
        let at = self.pos;
        let (m, v) = self.next_head()?;
        if m != want {
            self.pos = at;
            return Err(fail_at(what, at));
        }
        Ok(v)
    }
    /// The head of an item of major type `major` (0-7): its argument.
    pub fn head(&mut self, major: u8) -> Result<u64> {
        const WHAT: [&str; 8] = [
            "expected an unsigned integer",
            "expected a negative integer",
            "expected bytes",
            "expected a string",
            "expected an array",
            "expected a map",
            "expected a link (tag 42)",
            "expected a boolean, null or a float",
        ];
        self.expect(major, WHAT[(major & 7) as usize])
    }
    fn span(&mut self, major: u8, what: &str) -> Result<&'a [u8]> {
        let at = self.pos;
        let n = self.expect(major, what)?;
        if n > self.left() as u64 {
            self.pos = at;
            return Err(fail_at("length runs past the end of data", at));
        }
        let out = &self.s[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(out)
    }
    /// An unsigned integer, 0 ..= 2^64-1.
    pub fn uint(&mut self) -> Result<u64> {
        self.expect(0, "expected an unsigned integer")
    }
    /// Any integer -2^64 ..= 2^64-1 as (negative, m): the value is m, or -1 - m when negative.
    pub fn integer(&mut self) -> Result<(bool, u64)> {
        let at = self.pos;
        let (m, v) = self.next_head()?;
        if m > 1 {
            self.pos = at;
            return Err(fail_at("expected an integer", at));
        }
        Ok((m == 1, v))
    }
    /// Any integer that fits in i64.
    pub fn int(&mut self) -> Result<i64> {
        let at = self.pos;
        let (neg, m) = self.integer()?;
        if m > i64::MAX as u64 {
            self.pos = at;
            return Err(fail_at("integer out of 64-bit range", at));
        }
        Ok(if neg { -1 - m as i64 } else { m as i64 })
    }
    pub fn bytes_item(&mut self) -> Result<&'a [u8]> {
        self.span(2, "expected bytes")
    }
    pub fn text(&mut self) -> Result<&'a str> {
        let at = self.pos;
        let s = self.span(3, "expected a string")?;
        core::str::from_utf8(s).map_err(|_| {
            self.pos = at;
            fail_at("string is not valid UTF-8", at)
        })
    }
    /// An array's item count (bounded by the bytes left).
    pub fn array(&mut self) -> Result<usize> {
        let at = self.pos;
        let n = self.expect(4, "expected an array")?;
        if n > self.left() as u64 {
            self.pos = at;
            return Err(fail_at("array length runs past the end of data", at));
        }
        Ok(n as usize)
    }
    /// A map's count of key/value pairs (bounded by the bytes left).
    pub fn map(&mut self) -> Result<usize> {
        let at = self.pos;
        let n = self.expect(5, "expected a map")?;
        if n > (self.left() / 2) as u64 {
            self.pos = at;
            return Err(fail_at("map length runs past the end of data", at));
        }
        Ok(n as usize)
    }
    pub fn boolean(&mut self) -> Result<bool> {
        let at = self.pos;
        self.expect(7, "expected a boolean")?;
        match self.s[at] {
            0xf4 => Ok(false),
            0xf5 => Ok(true),
            _ => {
                self.pos = at;
                Err(fail_at("expected a boolean", at))
            }
        }
    }
    pub fn null(&mut self) -> Result<()> {
        if self.try_null() { Ok(()) } else { Err(fail_at("expected null", self.pos)) }
    }
    /// True (and consumed) if the next item is null: an optional field.
    pub fn try_null(&mut self) -> bool {
        let yes = self.s.get(self.pos) == Some(&0xf6);
        self.pos += yes as usize;
        yes
    }
    /// A float (DAG-CBOR has only finite 64-bit ones; -0.0 is one of them).
    pub fn float64(&mut self) -> Result<f64> {
        let at = self.pos;
        let bits = self.expect(7, "expected a float")?;
        if self.s[at] != 0xfb {
            self.pos = at;
            return Err(fail_at("expected a float", at));
        }
        Ok(f64::from_bits(bits))
    }
    /// The major type (0-7) of the next item, None at the end; nothing is consumed. Tells a
    /// link (6) from bytes (2), text (3)... before choosing the reader.
    pub fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).map(|b| b >> 5)
    }
    /// After a tag 42 head: the 0x00-prefixed binary CID.
    fn cid_body(&mut self) -> Result<&'a [u8]> {
        let b = self.span(2, "tag 42 must wrap bytes")?;
        if b.first() != Some(&0) {
            return Err(fail_at("tag 42 bytes must start with 0x00", self.pos));
        }
        if !cid_valid(&b[1..]) {
            return Err(fail_at("tag 42 holds a malformed CID", self.pos));
        }
        Ok(&b[1..])
    }
    /// A link (tag 42): the binary CID without its 0x00 prefix, checked as the host checks
    /// one (`cid_valid`).
    pub fn cid(&mut self) -> Result<&'a [u8]> {
        self.expect(6, "expected a link (tag 42)")?;
        self.cid_body()
    }
    /// Skip one whole item of any kind, validated as strictly as the typed readers (map keys
    /// text in canonical order, no duplicates). No recursion: nesting deeper than MAX_DEPTH
    /// fails "nesting too deep".
    pub fn skip(&mut self) -> Result<()> {
        self.walk(|_| Ok(()))
    }
    /// Like `skip`, calling `on_cid` with every link (binary CID) in document order; an error
    /// from `on_cid` stops the walk and is returned.
    pub fn walk(&mut self, mut on_cid: impl FnMut(&'a [u8]) -> Result<()>) -> Result<()> {
        let mut st = [Level { rem: 0, key: None, is_map: false }; MAX_DEPTH + 1];
        let mut d = 0usize;
        st[0].rem = 1;
        loop {
            while st[d].rem == 0 {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
            }
            let is_key = st[d].is_map && st[d].rem & 1 == 0;
            st[d].rem -= 1;
            let at = self.pos;
            if is_key {
                if self.peek().is_some_and(|m| m != 3) {
                    return Err(fail_at("map keys must be strings", at));
                }
                let k = self.text()?.as_bytes();
                if let Some((p, n)) = st[d].key {
                    let prev = &self.s[p..p + n];
                    if (prev.len(), prev) >= (k.len(), k) {
                        self.pos = at;
                        let why = if prev == k { "duplicate map key" } else { "map keys not in canonical order" };
                        return Err(fail_at(why, at));
                    }
                }
                st[d].key = Some((self.pos - k.len(), k.len()));
                continue;
            }
            let (m, arg) = self.next_head()?;
            let left = self.left() as u64;
            match m {
                2 | 3 => {
                    if arg > left {
                        self.pos = at;
                        return Err(fail_at("length runs past the end of data", at));
                    }
                    let body = &self.s[self.pos..self.pos + arg as usize];
                    if m == 3 && core::str::from_utf8(body).is_err() {
                        self.pos = at;
                        return Err(fail_at("string is not valid UTF-8", at));
                    }
                    self.pos += arg as usize;
                }
                4 | 5 => {
                    if (m == 5 && arg > left / 2) || (m == 4 && arg > left) {
                        self.pos = at;
                        return Err(fail_at("length runs past the end of data", at));
                    }
                    if d >= MAX_DEPTH {
                        self.pos = at;
                        return Err(fail_at("nesting too deep", at));
                    }
                    if arg > 0 {
                        d += 1;
                        st[d] = Level { rem: if m == 5 { arg * 2 } else { arg }, key: None, is_map: m == 5 };
                    }
                }
                6 => {
                    let c = self.cid_body()?;
                    on_cid(c)?;
                }
                _ => {} // 0, 1, 7: fully validated by next_head
            }
        }
    }
    /// Fail unless every byte was read.
    pub fn finish(&self) -> Result<()> {
        if self.done() { Ok(()) } else { Err(fail_at("trailing bytes after the item", self.pos)) }
    }
}

/// An unsigned varint (multiformats) at `s[*pos..]`: minimal, at most 9 bytes; advances `pos`.
pub fn varint(s: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for i in 0..9 {
        let c = *s.get(*pos)?;
        *pos += 1;
        v |= ((c & 0x7f) as u64) << (7 * i);
        if c & 0x80 == 0 {
            return if c == 0 && i > 0 { None } else { Some(v) };
        }
    }
    None
}

/// True if `c` is a structurally valid binary CID: CIDv0 (0x12 0x20 + 32 bytes) or CIDv1
/// (0x01, minimal varints for codec, hash code and length, a digest of at most 1024 bytes that
/// ends the CID): what the host and the C SDK's `ac_cid_check` accept.
pub fn cid_valid(c: &[u8]) -> bool {
    if c.len() == 34 && c[0] == 0x12 && c[1] == 0x20 {
        return true;
    }
    if c.len() < 4 || c[0] != 0x01 {
        return false;
    }
    let mut pos = 1usize;
    if varint(c, &mut pos).is_none() || varint(c, &mut pos).is_none() {
        return false;
    }
    match varint(c, &mut pos) {
        Some(size) => size <= 1024 && size == (c.len() - pos) as u64,
        None => false,
    }
}

pub type ItemFn = fn(&[u8], &mut Buf) -> Result<()>;
pub type FinalFn = fn(&mut Buf) -> Result<()>;

/// The input of an entry point as a slice.
///
/// # Safety
/// `p` and `n` must be what the host passed (bytes it wrote after `ac_input`).
pub unsafe fn input<'a>(p: *const u8, n: usize) -> &'a [u8] {
    if n == 0 { &[] } else { core::slice::from_raw_parts(p, n) }
}

/// Run an item function under the ABI: status returned, result slot set.
pub fn run(f: ItemFn, input: &[u8]) -> i32 {
    let mut out = Buf::new();
    set_result(&[]);
    match f(input, &mut out) {
        Ok(()) => {
            set_result(out.bytes());
            OK
        }
        Err(Fail(st)) => st,
    }
}

pub fn run0(f: FinalFn) -> i32 {
    let mut out = Buf::new();
    set_result(&[]);
    match f(&mut out) {
        Ok(()) => {
            set_result(out.bytes());
            OK
        }
        Err(Fail(st)) => st,
    }
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Decode a batch frame (docs/abi.md section 3) with `f` per item.
pub fn batch(f: ItemFn, input: &[u8]) -> i32 {
    let mut out = Buf::new();
    set_result(&[]);
    match batch_inner(f, input, &mut out) {
        Ok(()) => {
            set_result(out.bytes());
            OK
        }
        Err(Fail(st)) => st,
    }
}

fn batch_inner(f: ItemFn, input: &[u8], out: &mut Buf) -> Result<()> {
    if input.len() < 4 {
        return Err(invalid("batch frame shorter than its count"));
    }
    let count = le32(input);
    let mut pos = 4usize;
    for _ in 0..count {
        if input.len() - pos < 4 {
            return Err(invalid("batch frame truncated"));
        }
        let len = le32(&input[pos..]) as usize;
        pos += 4;
        if len > input.len() - pos {
            return Err(invalid("batch item past the end"));
        }
        let mut one = Buf::new();
        let (st, res): (i32, &[u8]) = match f(&input[pos..pos + len], &mut one) {
            Ok(()) => (OK, one.bytes()),
            // SAFETY: the failing call just pointed the slot at its message in the arena.
            Err(Fail(st)) => (st, unsafe { core::slice::from_raw_parts(SLOT[0] as *const u8, SLOT[1] as usize) }),
        };
        pos += len;
        out.put(&(st as u32).to_le_bytes())?;
        out.put(&(res.len() as u32).to_le_bytes())?;
        out.put(res)?;
    }
    if pos != input.len() {
        return Err(invalid("trailing bytes after the batch frame"));
    }
    Ok(())
}

// ---- the entry points every kind exports (docs/abi.md section 1) ----------------------
#[no_mangle]
pub extern "C" fn ac_abi_version() -> i32 {
    ABI_VERSION
}

#[no_mangle]
pub extern "C" fn ac_input(n: usize) -> *mut u8 {
    // SAFETY: single-threaded Wasm; rewinding the arena is what ac_input means.
    unsafe {
        TOP = base();
    }
    match alloc(n) {
        Some(p) => p.as_mut_ptr(),
        None => core::ptr::null_mut(),
    }
}

#[no_mangle]
pub extern "C" fn ac_result() -> *const u32 {
    core::ptr::addr_of!(SLOT) as *const u32
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    wasm32::unreachable()
}
