//! A toy signature scheme (NOT secure; it shows the crypto entry point): 8-byte public keys,
//! 8-byte signatures, valid when sig[i] == pk[i] XOR msg[i] (msg padded with zeros).
//! Frame (docs/abi.md): u32 key_type, u32 pk_len, pk, u32 sig_len, sig, message. Wrong lengths
//! are malformed encodings (ERR_INVALID); a well-formed signature that does not match is 0.
use crate::ac::{self, invalid, Buf, Result};

fn field<'a>(input: &'a [u8], pos: &mut usize) -> Result<&'a [u8]> {
    let truncated = || invalid("{{name}}: truncated frame");
    let len = input.get(*pos..*pos + 4).ok_or_else(truncated)?;
    let n = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    *pos += 4;
    let out = input.get(*pos..).and_then(|rest| rest.get(..n)).ok_or_else(truncated)?;
    *pos += n;
    Ok(out)
}

fn verify(input: &[u8], out: &mut Buf) -> Result<()> {
    if input.len() < 4 {
        return Err(invalid("{{name}}: truncated frame"));
    }
    let mut pos = 4;
    let pk = field(input, &mut pos)?;
    let sig = field(input, &mut pos)?;
    let msg = &input[pos..];
    if pk.len() != 8 {
        return Err(invalid("{{name}}: a public key is 8 bytes"));
    }
    if sig.len() != 8 {
        return Err(invalid("{{name}}: a signature is 8 bytes"));
    }
    let diff = (0..8).fold(0u8, |d, i| d | sig[i] ^ pk[i] ^ msg.get(i).copied().unwrap_or(0));
    out.byte((diff == 0) as u8)
}

#[no_mangle]
pub extern "C" fn ac_verify(p: *const u8, n: usize) -> i32 {
    ac::run(verify, unsafe { ac::input(p, n) })
}
