//! A toy chunker: fixed-size chunks of params {"size": N} bytes (1 <= N <= 2^20).
//! Output: u64 LE absolute offsets of chunk ends; state: the stream position (statics).
use crate::ac::{self, invalid, Buf, Reader, Result};

struct State {
    size: u64,
    pos: u64,
    last_end: u64,
}
static mut S: State = State { size: 0, pos: 0, last_end: 0 };

fn state() -> &'static mut State {
    // SAFETY: single-threaded Wasm; one borrow per entry point.
    unsafe { &mut *core::ptr::addr_of_mut!(S) }
}

fn init(input: &[u8], _out: &mut Buf) -> Result<()> {
    let s = state();
    let mut r = Reader::new(input);
    s.size = 0;
    for _ in 0..r.map()? {
        if r.text()? != "size" {
            return Err(invalid("{{name}}: the only parameter is size"));
        }
        s.size = r.uint()?;
    }
    r.finish()?;
    if !(1..=1 << 20).contains(&s.size) {
        return Err(invalid("{{name}}: size must be 1..1048576"));
    }
    s.pos = 0;
    s.last_end = 0;
    Ok(())
}

fn update(input: &[u8], out: &mut Buf) -> Result<()> {
    let s = state();
    if s.size == 0 {
        return Err(invalid("{{name}}: ac_chunk_init was not called"));
    }
    s.pos += input.len() as u64;
    while s.pos - s.last_end >= s.size {
        s.last_end += s.size;
        out.le64(s.last_end)?;
    }
    Ok(())
}

fn final_(out: &mut Buf) -> Result<()> {
    let s = state();
    if s.pos > s.last_end {
        s.last_end = s.pos;
        out.le64(s.pos)?;
    }
    Ok(())
}

#[no_mangle]
pub extern "C" fn ac_chunk_init(p: *const u8, n: usize) -> i32 {
    ac::run(init, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_chunk_update(p: *const u8, n: usize) -> i32 {
    ac::run(update, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_chunk_final() -> i32 {
    ac::run0(final_)
}
