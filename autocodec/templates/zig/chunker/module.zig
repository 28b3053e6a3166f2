//! A toy chunker: fixed-size chunks of params {"size": N} bytes (1 <= N <= 2^20).
//! Output: u64 LE absolute offsets of chunk ends; state: the stream position (globals).
const ac = @import("ac");

var size: u64 = 0;
var pos: u64 = 0;
var last_end: u64 = 0;

fn init(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    const n = try r.map();
    var i: usize = 0;
    size = 0;
    while (i < n) : (i += 1) {
        const key = try r.text();
        if (!eql(key, "size")) return ac.fail(error.Invalid, "{{name}}: the only parameter is size");
        size = try r.uint();
    }
    try r.finish();
    if (size < 1 or size > 1 << 20) return ac.fail(error.Invalid, "{{name}}: size must be 1..1048576");
    pos = 0;
    last_end = 0;
    _ = out;
}

fn eql(a: []const u8, b: []const u8) bool {
    if (a.len != b.len) return false;
    for (a, b) |x, y| if (x != y) return false;
    return true;
}

fn update(in: []const u8, out: *ac.Buf) ac.Error!void {
    if (size == 0) return ac.fail(error.Invalid, "{{name}}: ac_chunk_init was not called");
    pos += in.len;
    while (pos - last_end >= size) {
        last_end += size;
        try out.le64(last_end);
    }
}

fn final(out: *ac.Buf) ac.Error!void {
    if (pos > last_end) {
        last_end = pos;
        try out.le64(pos);
    }
}

export fn ac_chunk_init(p: [*]const u8, n: usize) i32 {
    return ac.run(init, p, n);
}
export fn ac_chunk_update(p: [*]const u8, n: usize) i32 {
    return ac.run(update, p, n);
}
export fn ac_chunk_final() i32 {
    return ac.run0(final);
}
