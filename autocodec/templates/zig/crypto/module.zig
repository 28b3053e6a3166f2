//! A toy signature scheme (NOT secure; it shows the crypto entry point): 8-byte public keys,
//! 8-byte signatures, valid when sig[i] == pk[i] XOR msg[i] (msg padded with zeros).
//! Frame (docs/abi.md): u32 key_type, u32 pk_len, pk, u32 sig_len, sig, message. Wrong lengths
//! are malformed encodings (ERR_INVALID); a well-formed signature that does not match is 0.
const ac = @import("ac");

fn le32(b: []const u8) u32 {
    return @as(u32, b[0]) | @as(u32, b[1]) << 8 | @as(u32, b[2]) << 16 | @as(u32, b[3]) << 24;
}

fn field(in: []const u8, pos: *usize) ac.Error![]const u8 {
    if (in.len - pos.* < 4) return ac.fail(error.Invalid, "{{name}}: truncated frame");
    const n = le32(in[pos.* .. pos.* + 4]);
    pos.* += 4;
    if (n > in.len - pos.*) return ac.fail(error.Invalid, "{{name}}: truncated frame");
    const out = in[pos.* .. pos.* + n];
    pos.* += n;
    return out;
}

fn verify(in: []const u8, out: *ac.Buf) ac.Error!void {
    if (in.len < 4) return ac.fail(error.Invalid, "{{name}}: truncated frame");
    var pos: usize = 4;
    const pk = try field(in, &pos);
    const sig = try field(in, &pos);
    const msg = in[pos..];
    if (pk.len != 8) return ac.fail(error.Invalid, "{{name}}: a public key is 8 bytes");
    if (sig.len != 8) return ac.fail(error.Invalid, "{{name}}: a signature is 8 bytes");
    var diff: u8 = 0;
    for (0..8) |i| diff |= sig[i] ^ pk[i] ^ (if (i < msg.len) msg[i] else 0);
    try out.byte(if (diff == 0) 1 else 0);
}

export fn ac_verify(p: [*]const u8, n: usize) i32 {
    return ac.run(verify, p, n);
}
