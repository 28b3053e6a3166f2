//! lpl (tests/guest/sdk-links/README.md): records [type u8][len u32 LE][payload]; type 0 = bytes, 1 = a binary CID (a link),
//! 0xee = the payload is returned as the error message (a test hook). Data model: a list.
use crate::ac::{self, fail, invalid, Buf, Reader, Result, ERR_INVALID};

/// Walk the records: (type, payload) for each, after checking the whole structure.
fn walk(input: &[u8], mut f: impl FnMut(u8, &[u8]) -> Result<()>) -> Result<()> {
    let mut pos = 0usize;
    while pos < input.len() {
        if input.len() - pos < 5 {
            return Err(invalid("lpl: truncated record head"));
        }
        let t = input[pos];
        let len = u32::from_le_bytes([input[pos + 1], input[pos + 2], input[pos + 3], input[pos + 4]]) as usize;
        pos += 5;
        if len > input.len() - pos {
            return Err(invalid("lpl: record past the end"));
        }
        let p = &input[pos..pos + len];
        match t {
            0 => {}
            1 => {
                if !ac::cid_valid(p) {
                    return Err(invalid("lpl: a link record holds a malformed CID"));
                }
            }
            0xee => {
                let msg = core::str::from_utf8(p).map_err(|_| invalid("lpl: bad message"))?;
                return Err(fail(ERR_INVALID, msg));
            }
            _ => return Err(invalid("lpl: unknown record type")),
        }
        f(t, p)?;
        pos += len;
    }
    Ok(())
}

fn decode(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut n = 0usize;
    walk(input, |_, _| { n += 1; Ok(()) })?;
    out.array(n)?;
    walk(input, |t, p| if t == 1 { out.cid(p) } else { out.bytes_item(p) })
}

fn links(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut n = 0usize;
    walk(input, |t, _| { n += (t == 1) as usize; Ok(()) })?;
    out.array(n)?;
    walk(input, |t, p| if t == 1 { out.cid(p) } else { Ok(()) })
}

fn encode(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut r = Reader::new(input);
    let n = r.array()?;
    for _ in 0..n {
        let (t, p) = if r.peek() == Some(6) { (1u8, r.cid()?) } else { (0u8, r.bytes_item()?) };
        out.byte(t)?;
        out.put(&(p.len() as u32).to_le_bytes())?;
        out.put(p)?;
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
pub extern "C" fn ac_links(p: *const u8, n: usize) -> i32 {
    ac::run(links, unsafe { ac::input(p, n) })
}
#[no_mangle]
pub extern "C" fn ac_decode_batch(p: *const u8, n: usize) -> i32 {
    ac::batch(decode, unsafe { ac::input(p, n) })
}
