//! tests/guest/sdk-readers/README.md: each [kind, value] read with the named Reader method and
//! written back with the matching Buf writer.
const ac = @import("ac");

fn eql(a: []const u8, b: []const u8) bool {
    return ac.keyOrder(a, b) == 0;
}

fn one(r: *ac.Reader, kind: []const u8, out: *ac.Buf) ac.Error!void {
    if (eql(kind, "uint")) return out.uint(try r.uint());
    if (eql(kind, "int")) return out.int(try r.int());
    if (eql(kind, "integer")) {
        const v = try r.integer();
        return if (v.neg) out.neg(v.m) else out.uint(v.m);
    }
    if (eql(kind, "neg")) return out.neg(try r.uint());
    if (eql(kind, "bytes")) return out.bytesItem(try r.bytesItem());
    if (eql(kind, "text")) return out.text(try r.text());
    if (eql(kind, "cid")) return out.cid(try r.cid());
    if (eql(kind, "bool")) return out.boolean(try r.boolean());
    if (eql(kind, "null")) {
        try r.null_();
        return out.null_();
    }
    if (eql(kind, "try_null")) {
        const yes = r.tryNull();
        if (!yes) try r.skip();
        return out.boolean(yes);
    }
    if (eql(kind, "float")) return out.float64(try r.float64());
    if (eql(kind, "float_bits")) return out.float64(@bitCast(try r.uint()));
    if (eql(kind, "array")) {
        const n = try r.array();
        var i: usize = 0;
        while (i < n) : (i += 1) try r.skip();
        return out.uint(n);
    }
    if (eql(kind, "map")) {
        const n = try r.map();
        var i: usize = 0;
        while (i < n) : (i += 1) {
            _ = try r.text();
            try r.skip();
        }
        return out.uint(n);
    }
    if (eql(kind, "skip")) {
        const before = r.left();
        try r.skip();
        return out.uint(before - r.left());
    }
    return ac.fail(error.Invalid, "unknown kind");
}

fn readAll(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    const count = try r.array();
    try out.array(count);
    var i: usize = 0;
    while (i < count) : (i += 1) {
        if (try r.array() != 2) return ac.fail(error.Invalid, "a pair is [kind, value]");
        const kind = try r.text();
        try one(&r, kind, out);
    }
    try r.finish();
}

export fn ac_task(p: [*]const u8, n: usize) i32 {
    return ac.run(readAll, p, n);
}
