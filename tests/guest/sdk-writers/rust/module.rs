//! Writes the document tests/test_sdk.py expects, with every writer of the Rust SDK.
use crate::ac::{self, Buf, Result};

const CID: [u8; 36] = [
    0x01, 0x55, 0x12, 0x20, 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9,
    0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];
const UINTS: [u64; 10] = [0, 23, 24, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, u64::MAX];
const INTS: [i64; 9] = [0, -1, -24, -25, -256, -257, -65537, -0x1_0000_0001, i64::MIN];

fn doc(_input: &[u8], out: &mut Buf) -> Result<()> {
    out.map(6)?;
    out.text("b")?;
    out.bytes_item(&[0, 1, 2])?;
    out.text("c")?;
    out.cid(&CID)?;
    out.text("i")?;
    out.array(INTS.len())?;
    for v in INTS {
        out.int(v)?;
    }
    out.text("l")?;
    out.array(3)?;
    out.boolean(true)?;
    out.boolean(false)?;
    out.null()?;
    out.text("t")?;
    out.text("caf\u{e9} \u{1f600}")?;
    out.text("u")?;
    out.array(UINTS.len())?;
    for v in UINTS {
        out.uint(v)?;
    }
    Ok(())
}

#[no_mangle]
pub extern "C" fn ac_task(p: *const u8, n: usize) -> i32 {
    ac::run(doc, unsafe { ac::input(p, n) })
}
