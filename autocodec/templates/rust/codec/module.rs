//! A toy codec: the native form is UTF-8 text, its data model the list of its lines.
//! decode("a\nb") = ["a", "b"]; encode joins them with "\n" again, so encode(decode(x)) == x.
//! Invalid UTF-8 and lines holding "\n" are refused with ERR_INVALID.
use crate::ac::{self, invalid, Buf, Reader, Result};

fn decode(input: &[u8], out: &mut Buf) -> Result<()> {
    let text = core::str::from_utf8(input).map_err(|_| invalid("{{name}}: the block is not UTF-8 text"))?;
    out.array(text.split('\n').count())?;
    for line in text.split('\n') {
        out.text(line)?;
    }
    Ok(())
}

fn encode(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut r = Reader::new(input);
    let n = r.array()?;
    if n == 0 {
        return Err(invalid("{{name}}: a document has at least one line"));
    }
    for i in 0..n {
        let line = r.text()?;
        if line.contains('\n') {
            return Err(invalid("{{name}}: a line holds a newline"));
        }
        if i > 0 {
            out.byte(b'\n')?;
        }
        out.put(line.as_bytes())?;
    }
    r.finish()
}

#[no_mangle]
pub extern "C" fn ac_decode(p: *const u8, n: usize) -> i32 {
    ac::run(decode, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_encode(p: *const u8, n: usize) -> i32 {
    ac::run(encode, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_decode_batch(p: *const u8, n: usize) -> i32 {
    ac::batch(decode, unsafe { ac::input(p, n) })
}
