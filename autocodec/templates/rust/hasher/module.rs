//! A toy hasher: FNV-1a 64 (Fowler/Noll/Vo), digest = the 64-bit value big-endian.
//! Not for security; it shows the one-shot and the streaming entry points.
//! Stream state lives in a static (ac_input does not clear it).
use crate::ac::{self, Buf, Result};

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;
static mut STATE: u64 = OFFSET;

fn fnv(h: u64, input: &[u8]) -> u64 {
    input.iter().fold(h, |h, &c| (h ^ c as u64).wrapping_mul(PRIME))
}

fn hash(input: &[u8], out: &mut Buf) -> Result<()> {
    out.put(&fnv(OFFSET, input).to_be_bytes())
}

fn final_(out: &mut Buf) -> Result<()> {
    // SAFETY: single-threaded Wasm.
    out.put(&unsafe { STATE }.to_be_bytes())
}

#[no_mangle]
pub extern "C" fn ac_hash(p: *const u8, n: usize) -> i32 {
    ac::run(hash, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_hash_init() -> i32 {
    ac::set_result(&[]);
    unsafe { STATE = OFFSET };
    ac::OK
}
#[no_mangle]
pub extern "C" fn ac_hash_update(p: *const u8, n: usize) -> i32 {
    ac::set_result(&[]);
    unsafe { STATE = fnv(STATE, ac::input(p, n)) };
    ac::OK
}
#[no_mangle]
pub extern "C" fn ac_hash_final() -> i32 {
    ac::run0(final_)
}
