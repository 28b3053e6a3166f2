//! ac.rs - the autocodec guest SDK for Rust (ABI v1, docs/abi.md), `no_std`, no dependencies.
//!
//! Invariants:
//! - Every byte a call allocates comes from the arena [__heap_base, top); `ac_input` rewinds
//!   it, so nothing survives from one call to the next (stream state lives in statics).
//! - `alloc` never traps: it returns None when linear memory cannot grow (-> ERR_NOMEM).
//! - `Buf` writes canonical DAG-CBOR heads (shortest form); map keys must be written in
//!   canonical order by the caller (shorter first, then bytewise).
//! - `Reader` never reads outside its slice and rejects non-minimal heads.
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

/// A strict DAG-CBOR reader over a slice (heads must be minimal; lengths are checked).
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
    pub fn head(&mut self, major: u8) -> Result<u64> {
        let b = *self.s.get(self.pos).ok_or_else(|| invalid("unexpected end of DAG-CBOR"))?;
        if b >> 5 != major {
            return Err(invalid("unexpected DAG-CBOR type"));
        }
        self.pos += 1;
        let ai = b & 0x1f;
        if ai < 24 {
            return Ok(ai as u64);
        }
        if ai > 27 {
            return Err(invalid("indefinite or reserved DAG-CBOR head"));
        }
        let n = 1usize << (ai - 24);
        let raw = self.take(n as u64).map_err(|_| invalid("truncated DAG-CBOR head"))?;
        let v = raw.iter().fold(0u64, |v, &d| (v << 8) | d as u64);
        let min = [24u64, 0x100, 0x1_0000, 0x1_0000_0000][(ai - 24) as usize];
        if v < min {
            return Err(invalid("non-minimal DAG-CBOR head"));
        }
        Ok(v)
    }
    fn take(&mut self, n: u64) -> Result<&'a [u8]> {
        if n > (self.s.len() - self.pos) as u64 {
            return Err(invalid("DAG-CBOR length past the end"));
        }
        let out = &self.s[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(out)
    }
    pub fn uint(&mut self) -> Result<u64> {
        self.head(0)
    }
    pub fn bytes_item(&mut self) -> Result<&'a [u8]> {
        let n = self.head(2)?;
        self.take(n)
    }
    pub fn text(&mut self) -> Result<&'a str> {
        let n = self.head(3)?;
        core::str::from_utf8(self.take(n)?).map_err(|_| invalid("text is not valid UTF-8"))
    }
    pub fn array(&mut self) -> Result<usize> {
        let n = self.head(4)?;
        if n > (self.s.len() - self.pos) as u64 {
            return Err(invalid("array longer than its bytes"));
        }
        Ok(n as usize)
    }
    pub fn map(&mut self) -> Result<usize> {
        let n = self.head(5)?;
        if n > (self.s.len() - self.pos) as u64 {
            return Err(invalid("map longer than its bytes"));
        }
        Ok(n as usize)
    }
    /// The major type (0-7) of the next item, None at the end; nothing is consumed. Tells a
    /// link (6) from bytes (2), text (3)... before choosing the reader.
    pub fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).map(|b| b >> 5)
    }
    /// A link (tag 42): the binary CID without its 0x00 prefix, checked as the host checks
    /// one (`cid_valid`).
    pub fn cid(&mut self) -> Result<&'a [u8]> {
        if self.head(6)? != 42 {
            return Err(invalid("only tag 42 (CID) is allowed"));
        }
        let b = self.bytes_item()?;
        if b.first() != Some(&0) {
            return Err(invalid("tag 42 bytes must start with 0x00"));
        }
        if !cid_valid(&b[1..]) {
            return Err(invalid("tag 42 holds a malformed CID"));
        }
        Ok(&b[1..])
    }
    /// Fail unless every byte was read.
    pub fn finish(&self) -> Result<()> {
        if self.done() { Ok(()) } else { Err(invalid("trailing bytes after the DAG-CBOR item")) }
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
