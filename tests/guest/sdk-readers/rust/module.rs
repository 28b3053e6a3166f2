//! tests/guest/sdk-readers/README.md: each [kind, value] read with the named Reader method and
//! written back with the matching Buf writer.
use crate::ac::{self, invalid, Buf, Reader, Result};

fn one(r: &mut Reader, kind: &str, out: &mut Buf) -> Result<()> {
    match kind {
        "uint" => out.uint(r.uint()?),
        "int" => out.int(r.int()?),
        "integer" => match r.integer()? {
            (true, m) => out.neg(m),
            (false, m) => out.uint(m),
        },
        "neg" => out.neg(r.uint()?),
        "bytes" => out.bytes_item(r.bytes_item()?),
        "text" => out.text(r.text()?),
        "cid" => out.cid(r.cid()?),
        "bool" => out.boolean(r.boolean()?),
        "null" => {
            r.null()?;
            out.null()
        }
        "try_null" => {
            let yes = r.try_null();
            if !yes {
                r.skip()?;
            }
            out.boolean(yes)
        }
        "float" => out.float64(r.float64()?),
        "float_bits" => out.float64(f64::from_bits(r.uint()?)),
        "array" => {
            let n = r.array()?;
            for _ in 0..n {
                r.skip()?;
            }
            out.uint(n as u64)
        }
        "map" => {
            let n = r.map()?;
            for _ in 0..n {
                r.text()?;
                r.skip()?;
            }
            out.uint(n as u64)
        }
        "skip" => {
            let before = r.left();
            r.skip()?;
            out.uint((before - r.left()) as u64)
        }
        _ => Err(invalid("unknown kind")),
    }
}

fn read_all(input: &[u8], out: &mut Buf) -> Result<()> {
    let mut r = Reader::new(input);
    let count = r.array()?;
    out.array(count)?;
    for _ in 0..count {
        if r.array()? != 2 {
            return Err(invalid("a pair is [kind, value]"));
        }
        let kind = r.text()?;
        one(&mut r, kind, out)?;
    }
    r.finish()
}

#[no_mangle]
pub extern "C" fn ac_task(p: *const u8, n: usize) -> i32 {
    ac::run(read_all, unsafe { ac::input(p, n) })
}
