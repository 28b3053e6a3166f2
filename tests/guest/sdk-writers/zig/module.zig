//! Writes the document tests/test_sdk.py expects, with every writer of the Zig SDK.
const ac = @import("ac");

const cid = [_]u8{ 0x01, 0x55, 0x12, 0x20, 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
const uints = [_]u64{ 0, 23, 24, 255, 256, 65535, 65536, 0xffff_ffff, 0x1_0000_0000, 0xffff_ffff_ffff_ffff };
const ints = [_]i64{ 0, -1, -24, -25, -256, -257, -65537, -0x1_0000_0001, -0x8000_0000_0000_0000 };

fn doc(in: []const u8, out: *ac.Buf) ac.Error!void {
    _ = in;
    try out.map(6);
    try out.text("b");
    try out.bytesItem(&[_]u8{ 0, 1, 2 });
    try out.text("c");
    try out.cid(&cid);
    try out.text("i");
    try out.array(ints.len);
    for (ints) |v| try out.int(v);
    try out.text("l");
    try out.array(3);
    try out.boolean(true);
    try out.boolean(false);
    try out.null_();
    try out.text("t");
    try out.text("caf\u{e9} \u{1f600}");
    try out.text("u");
    try out.array(uints.len);
    for (uints) |v| try out.uint(v);
}

export fn ac_task(p: [*]const u8, n: usize) i32 {
    return ac.run(doc, p, n);
}
