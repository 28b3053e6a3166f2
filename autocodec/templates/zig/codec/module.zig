//! A toy codec: the native form is UTF-8 text, its data model the list of its lines.
//! decode("a\nb") = ["a", "b"]; encode joins them with "\n" again, so encode(decode(x)) == x.
//! Invalid UTF-8 and lines holding "\n" are refused with ERR_INVALID.
const ac = @import("ac");

fn decode(in: []const u8, out: *ac.Buf) ac.Error!void {
    if (!ac.utf8Valid(in)) return ac.fail(error.Invalid, "{{name}}: the block is not UTF-8 text");
    var lines: usize = 1;
    for (in) |c| lines += @intFromBool(c == '\n');
    try out.array(lines);
    var start: usize = 0;
    for (in, 0..) |c, i| {
        if (c == '\n') {
            try out.text(in[start..i]);
            start = i + 1;
        }
    }
    try out.text(in[start..]);
}

fn encode(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    const n = try r.array();
    if (n == 0) return ac.fail(error.Invalid, "{{name}}: a document has at least one line");
    var i: usize = 0;
    while (i < n) : (i += 1) {
        const line = try r.text();
        for (line) |c| if (c == '\n') return ac.fail(error.Invalid, "{{name}}: a line holds a newline");
        if (i > 0) try out.byte('\n');
        try out.put(line);
    }
    try r.finish();
}

export fn ac_decode(p: [*]const u8, n: usize) i32 {
    return ac.run(decode, p, n);
}
export fn ac_encode(p: [*]const u8, n: usize) i32 {
    return ac.run(encode, p, n);
}
export fn ac_decode_batch(p: [*]const u8, n: usize) i32 {
    return ac.batch(decode, p, n);
}
