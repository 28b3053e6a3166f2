//! lpl (tests/guest/sdk-links/README.md): records [type u8][len u32 LE][payload]; type 0 = bytes, 1 = a binary CID (a link),
//! 0xee = the payload is returned as the error message (a test hook). Data model: a list.
const ac = @import("ac");

const Rec = struct { t: u8, p: []const u8 };

/// The next record at `pos.*` (structure checked), or null at the end.
fn next(in: []const u8, pos: *usize) ac.Error!?Rec {
    if (pos.* >= in.len) return null;
    if (in.len - pos.* < 5) return ac.fail(error.Invalid, "lpl: truncated record head");
    const t = in[pos.*];
    const len: usize = @as(usize, in[pos.* + 1]) | @as(usize, in[pos.* + 2]) << 8 | @as(usize, in[pos.* + 3]) << 16 | @as(usize, in[pos.* + 4]) << 24;
    pos.* += 5;
    if (len > in.len - pos.*) return ac.fail(error.Invalid, "lpl: record past the end");
    const p = in[pos.* .. pos.* + len];
    pos.* += len;
    switch (t) {
        0 => {},
        1 => if (!ac.cidValid(p)) return ac.fail(error.Invalid, "lpl: a link record holds a malformed CID"),
        0xee => return ac.fail(error.Invalid, p),
        else => return ac.fail(error.Invalid, "lpl: unknown record type"),
    }
    return .{ .t = t, .p = p };
}

fn count(in: []const u8, links_only: bool) ac.Error!usize {
    var pos: usize = 0;
    var n: usize = 0;
    while (try next(in, &pos)) |r| n += @intFromBool(!links_only or r.t == 1);
    return n;
}

fn decode(in: []const u8, out: *ac.Buf) ac.Error!void {
    try out.array(try count(in, false));
    var pos: usize = 0;
    while (try next(in, &pos)) |r| if (r.t == 1) try out.cid(r.p) else try out.bytesItem(r.p);
}

fn links(in: []const u8, out: *ac.Buf) ac.Error!void {
    try out.array(try count(in, true));
    var pos: usize = 0;
    while (try next(in, &pos)) |r| if (r.t == 1) try out.cid(r.p);
}

fn encode(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    const n = try r.array();
    var i: usize = 0;
    while (i < n) : (i += 1) {
        const link = r.peek() == 6;
        const p = if (link) try r.cid() else try r.bytesItem();
        try out.byte(@intFromBool(link));
        const h = try out.extend(4);
        var k: usize = 0;
        while (k < 4) : (k += 1) h[k] = @truncate(p.len >> @intCast(8 * k));
        try out.put(p);
    }
    try r.finish();
}

export fn ac_decode(p: [*]const u8, n: usize) i32 {
    return ac.run(decode, p, n);
}
export fn ac_encode(p: [*]const u8, n: usize) i32 {
    return ac.run(encode, p, n);
}
export fn ac_links(p: [*]const u8, n: usize) i32 {
    return ac.run(links, p, n);
}
export fn ac_decode_batch(p: [*]const u8, n: usize) i32 {
    return ac.batch(decode, p, n);
}
