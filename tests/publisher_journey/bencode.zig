//! bencode (BEP 3), strict canonical, under a private-use code: decode to the IPLD data model
//! (integers, byte strings as Bytes, lists, dictionaries with UTF-8 keys as Maps), encode back.
const ac = @import("ac");

const MAX_KEYS = 256;
const MAX_DEPTH = 64;

fn bad(msg: []const u8) ac.Error {
    return ac.fail(error.Invalid, msg);
}

fn isDigit(c: u8) bool {
    return c >= '0' and c <= '9';
}

/// Reads decimal digits up to `term` at s[i.*..]; canonical (no leading zero unless "0").
fn number(s: []const u8, i: *usize, term: u8) ac.Error!u64 {
    const start = i.*;
    var v: u64 = 0;
    while (i.* < s.len and isDigit(s[i.*])) : (i.* += 1) {
        const mul = @mulWithOverflow(v, 10);
        if (mul[1] != 0) return ac.fail(error.Unsupported, "bzig: integer too large");
        const add = @addWithOverflow(mul[0], s[i.*] - '0');
        if (add[1] != 0) return ac.fail(error.Unsupported, "bzig: integer too large");
        v = add[0];
    }
    const n = i.* - start;
    if (n == 0) return bad("bzig: expected digits");
    if (n > 1 and s[start] == '0') return bad("bzig: leading zero");
    if (i.* >= s.len or s[i.*] != term) return bad("bzig: bad number terminator");
    i.* += 1;
    return v;
}

fn byteString(s: []const u8, i: *usize) ac.Error![]const u8 {
    const n = try number(s, i, ':');
    if (n > s.len - i.*) return bad("bzig: string longer than the input");
    const out = s[i.* .. i.* + @as(usize, @intCast(n))];
    i.* += @intCast(n);
    return out;
}

fn rawLess(a: []const u8, b: []const u8) bool {
    const n = @min(a.len, b.len);
    for (a[0..n], b[0..n]) |x, y| if (x != y) return x < y;
    return a.len < b.len;
}

/// Decodes one value at s[i.*..] into `out` (null `out`: validate and skip only).
fn value(s: []const u8, i: *usize, out: ?*ac.Buf, depth: usize) ac.Error!void {
    if (depth > MAX_DEPTH) return bad("bzig: nested too deep");
    if (i.* >= s.len) return bad("bzig: truncated");
    const c = s[i.*];
    if (c == 'i') {
        i.* += 1;
        const neg = i.* < s.len and s[i.*] == '-';
        if (neg) i.* += 1;
        const m = try number(s, i, 'e');
        if (neg and m == 0) return bad("bzig: negative zero");
        if (out) |o| {
            if (neg) try o.neg(m - 1) else try o.uint(m);
        }
    } else if (isDigit(c)) {
        const b = try byteString(s, i);
        if (out) |o| try o.bytesItem(b);
    } else if (c == 'l') {
        i.* += 1;
        var n: usize = 0;
        var j = i.*;
        while (j < s.len and s[j] != 'e') : (n += 1) try value(s, &j, null, depth + 1);
        if (j >= s.len) return bad("bzig: truncated list");
        if (out) |o| {
            try o.array(n);
            while (s[i.*] != 'e') try value(s, i, o, depth + 1);
        }
        i.* = j + 1;
    } else if (c == 'd') {
        try dict(s, i, out, depth);
    } else return bad("bzig: not bencode");
}

fn dict(s: []const u8, i: *usize, out: ?*ac.Buf, depth: usize) ac.Error!void {
    var keys: [MAX_KEYS][]const u8 = undefined;
    var vals: [MAX_KEYS]usize = undefined;
    var n: usize = 0;
    i.* += 1;
    while (i.* < s.len and s[i.*] != 'e') : (n += 1) {
        if (n == MAX_KEYS) return ac.fail(error.Unsupported, "bzig: too many keys");
        if (!isDigit(s[i.*])) return bad("bzig: a key is not a string");
        keys[n] = try byteString(s, i);
        if (!ac.utf8Valid(keys[n])) return ac.fail(error.Unsupported, "bzig: a key is not UTF-8");
        if (n > 0 and !rawLess(keys[n - 1], keys[n])) return bad("bzig: keys unsorted or duplicate");
        vals[n] = i.*;
        try value(s, i, null, depth + 1);
    }
    if (i.* >= s.len) return bad("bzig: truncated dictionary");
    i.* += 1;
    const o = out orelse return;
    try o.map(n);
    var done: [MAX_KEYS]bool = @splat(false);
    var k: usize = 0;
    while (k < n) : (k += 1) {
        var best: ?usize = null;
        for (0..n) |x| {
            if (done[x]) continue;
            if (best == null or ac.keyOrder(keys[x], keys[best.?]) < 0) best = x;
        }
        done[best.?] = true;
        try o.text(keys[best.?]);
        var at = vals[best.?];
        try value(s, &at, o, depth + 1);
    }
}

fn decode(in: []const u8, out: *ac.Buf) ac.Error!void {
    var i: usize = 0;
    try value(in, &i, out, 0);
    if (i != in.len) return bad("bzig: trailing bytes");
}

fn decimal(out: *ac.Buf, v: u64) ac.Error!void {
    var d: [20]u8 = undefined;
    var k: usize = d.len;
    var x = v;
    while (true) {
        k -= 1;
        d[k] = '0' + @as(u8, @intCast(x % 10));
        x /= 10;
        if (x == 0) break;
    }
    try out.put(d[k..]);
}

fn encValue(r: *ac.Reader, out: *ac.Buf, depth: usize) ac.Error!void {
    if (depth > MAX_DEPTH) return bad("bzig: nested too deep");
    const major = r.peek() orelse return bad("bzig: truncated");
    switch (major) {
        0, 1 => {
            const v = try r.integer();
            try out.byte('i');
            if (v.neg) {
                try out.byte('-');
                if (v.m == ~@as(u64, 0)) return ac.fail(error.Unsupported, "bzig: integer too large");
                try decimal(out, v.m + 1);
            } else try decimal(out, v.m);
            try out.byte('e');
        },
        2 => {
            const b = try r.bytesItem();
            try decimal(out, b.len);
            try out.byte(':');
            try out.put(b);
        },
        4 => {
            const n = try r.array();
            try out.byte('l');
            for (0..n) |_| try encValue(r, out, depth + 1);
            try out.byte('e');
        },
        5 => try encMap(r, out, depth),
        else => return bad("bzig: bencode holds only integers, bytes, lists and maps"),
    }
}

fn encMap(r: *ac.Reader, out: *ac.Buf, depth: usize) ac.Error!void {
    const n = try r.map();
    if (n > MAX_KEYS) return ac.fail(error.Unsupported, "bzig: too many keys");
    var keys: [MAX_KEYS][]const u8 = undefined;
    var vals: [MAX_KEYS]usize = undefined;
    for (0..n) |x| {
        keys[x] = try r.text();
        vals[x] = r.pos;
        try r.skip();
    }
    const end = r.pos;
    try out.byte('d');
    var done: [MAX_KEYS]bool = @splat(false);
    for (0..n) |_| {
        var best: ?usize = null;
        for (0..n) |x| {
            if (done[x]) continue;
            if (best == null or rawLess(keys[x], keys[best.?])) best = x;
        }
        done[best.?] = true;
        try decimal(out, keys[best.?].len);
        try out.byte(':');
        try out.put(keys[best.?]);
        r.pos = vals[best.?];
        try encValue(r, out, depth + 1);
    }
    r.pos = end;
    try out.byte('e');
}

fn encode(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    try encValue(&r, out, 0);
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
