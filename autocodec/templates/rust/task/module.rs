//! A toy task: {"fn": "add", "args": [a, b]} -> a + b for unsigned integers; an overflow past
//! 2^64 - 1, a wrong argument count or an unknown function is ERR_INVALID.
use crate::ac::{self, invalid, Buf, Reader, Result};

fn task(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut r = Reader::new(input);
    if r.map()? != 2 || r.text()? != "fn" {
        return Err(invalid("{{name}}: an invocation is {fn, args}"));
    }
    if r.text()? != "add" {
        return Err(invalid("{{name}}: the only function is add"));
    }
    if r.text()? != "args" {
        return Err(invalid("{{name}}: an invocation is {fn, args}"));
    }
    if r.array()? != 2 {
        return Err(invalid("{{name}}: add takes 2 arguments"));
    }
    let (a, b) = (r.uint()?, r.uint()?);
    r.finish()?;
    out.uint(a.checked_add(b).ok_or_else(|| invalid("{{name}}: the sum is over 2^64 - 1"))?)
}

#[no_mangle]
pub extern "C" fn ac_task(p: *const u8, n: usize) -> i32 {
    ac::run(task, unsafe { ac::input(p, n) })
}
