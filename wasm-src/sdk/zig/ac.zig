//! ac.zig - the autocodec guest SDK for Zig (ABI v1, docs/abi.md).
//!
//! Invariants:
//! - Every byte a call allocates comes from the arena [__heap_base, top); `ac_input` rewinds
//!   it, so nothing survives from one call to the next (stream state lives in globals).
//! - `alloc` never traps: it returns null when linear memory cannot grow (-> ERR_NOMEM).
//! - `Buf` errors are sticky: after a failure every write is a no-op returning the error.
//! - The writer emits canonical DAG-CBOR heads (shortest form); map keys must be written in
//!   canonical order by the caller (shorter first, then bytewise).
//! - The reader never reads outside its slice and accepts strict DAG-CBOR only, with the C SDK's
//!   semantics and messages (acr_* in ac.h); `skip`/`walk` use no recursion (MAX_DEPTH levels).
//! Status codes and the ABI version come from ac_abi.zig, generated from autocodec/abi.py.
const abi = @import("ac_abi.zig");

pub const ABI_VERSION = abi.ABI_VERSION;
pub const OK = abi.OK;
pub const ERR_INVALID = abi.ERR_INVALID;
pub const ERR_UNSUPPORTED = abi.ERR_UNSUPPORTED;
pub const ERR_NOMEM = abi.ERR_NOMEM;
pub const ERR_INTERNAL = abi.ERR_INTERNAL;

/// A status-carrying error: `Invalid` etc. map one to one onto the ABI statuses.
pub const Error = error{ Invalid, Unsupported, NoMem, Internal };

pub fn status(e: Error) i32 {
    return switch (e) {
        error.Invalid => ERR_INVALID,
        error.Unsupported => ERR_UNSUPPORTED,
        error.NoMem => ERR_NOMEM,
        error.Internal => ERR_INTERNAL,
    };
}

extern const __heap_base: u8;
var slot: [2]u32 = .{ 0, 0 };
var top: usize = 0;

fn base() usize {
    return (@intFromPtr(&__heap_base) + 7) & ~@as(usize, 7);
}

/// n bytes, 8-aligned, from the per-call arena; null when memory cannot grow.
pub fn alloc(n: usize) ?[*]u8 {
    if (top == 0) top = base();
    const start = (top + 7) & ~@as(usize, 7);
    if (n > 0xffff_ffff - start) return null;
    const end = start + n;
    const have = @wasmMemorySize(0) * 65536;
    if (end > have) {
        const pages = (end - have + 65535) / 65536;
        if (@wasmMemoryGrow(0, pages) < 0) return null;
    }
    top = end;
    return @ptrFromInt(start);
}

/// Point the result slot at `bytes`.
pub fn setResult(bytes: []const u8) void {
    slot[0] = @intCast(@intFromPtr(bytes.ptr));
    slot[1] = @intCast(bytes.len);
}

/// Put `msg` (UTF-8) in the result slot and return the status of `e`.
pub fn fail(e: Error, msg: []const u8) Error {
    if (alloc(msg.len)) |p| {
        @memcpy(p[0..msg.len], msg);
        setResult(p[0..msg.len]);
    } else setResult(&.{});
    return e;
}

/// A growable output buffer in the arena.
pub const Buf = struct {
    data: [*]u8 = undefined,
    len: usize = 0,
    cap: usize = 0,

    pub fn bytes(self: *const Buf) []const u8 {
        if (self.cap == 0) return &.{};
        return self.data[0..self.len];
    }

    pub fn extend(self: *Buf, n: usize) Error![]u8 {
        if (self.len + n > self.cap) {
            var cap = if (self.cap == 0) 64 else self.cap * 2;
            while (cap < self.len + n) cap *= 2;
            const p = alloc(cap) orelse return fail(error.NoMem, "out of memory");
            if (self.len > 0) @memcpy(p[0..self.len], self.data[0..self.len]);
            self.data = p;
            self.cap = cap;
        }
        const out = self.data[self.len .. self.len + n];
        self.len += n;
        return out;
    }

    pub fn put(self: *Buf, b: []const u8) Error!void {
        @memcpy(try self.extend(b.len), b);
    }

    pub fn byte(self: *Buf, c: u8) Error!void {
        (try self.extend(1))[0] = c;
    }

    pub fn le64(self: *Buf, v: u64) Error!void {
        const out = try self.extend(8);
        var x = v;
        for (out) |*b| {
            b.* = @truncate(x);
            x >>= 8;
        }
    }

    // ---- canonical DAG-CBOR writer ---------------------------------------------------
    pub fn head(self: *Buf, major: u8, arg: u64) Error!void {
        const m: u8 = major << 5;
        if (arg < 24) return self.byte(m | @as(u8, @intCast(arg)));
        var n: usize = 8;
        var ai: u8 = 27;
        if (arg <= 0xff) {
            n = 1;
            ai = 24;
        } else if (arg <= 0xffff) {
            n = 2;
            ai = 25;
        } else if (arg <= 0xffff_ffff) {
            n = 4;
            ai = 26;
        }
        const out = try self.extend(n + 1);
        out[0] = m | ai;
        var i: usize = 0;
        while (i < n) : (i += 1) out[n - i] = @truncate(arg >> @intCast(8 * i));
    }
    pub fn uint(self: *Buf, v: u64) Error!void {
        return self.head(0, v);
    }
    pub fn int(self: *Buf, v: i64) Error!void {
        if (v >= 0) return self.head(0, @intCast(v));
        return self.head(1, @intCast(-(v + 1)));
    }
    /// The negative integer -1 - m (m = 2^64-1 writes -2^64, the least DAG-CBOR holds).
    pub fn neg(self: *Buf, m: u64) Error!void {
        return self.head(1, m);
    }
    /// A float, always 64-bit (as DAG-CBOR requires); NaN and +-Inf fail ERR_INVALID (DAG-CBOR
    /// has no form for them).
    pub fn float64(self: *Buf, v: f64) Error!void {
        const bits: u64 = @bitCast(v);
        if ((bits >> 52) & 0x7ff == 0x7ff) return fail(error.Invalid, "NaN and Infinity are not allowed in DAG-CBOR");
        const out = try self.extend(9);
        out[0] = 0xfb;
        var i: usize = 0;
        while (i < 8) : (i += 1) out[8 - i] = @truncate(bits >> @intCast(8 * i));
    }
    pub fn bytesItem(self: *Buf, b: []const u8) Error!void {
        try self.head(2, b.len);
        try self.put(b);
    }
    /// A text string; invalid UTF-8 fails ERR_INVALID.
    pub fn text(self: *Buf, s: []const u8) Error!void {
        if (!utf8Valid(s)) return fail(error.Invalid, "text is not valid UTF-8");
        try self.head(3, s.len);
        try self.put(s);
    }
    pub fn array(self: *Buf, n: usize) Error!void {
        return self.head(4, n);
    }
    pub fn map(self: *Buf, n: usize) Error!void {
        return self.head(5, n);
    }
    pub fn boolean(self: *Buf, v: bool) Error!void {
        return self.byte(if (v) 0xf5 else 0xf4);
    }
    pub fn null_(self: *Buf) Error!void {
        return self.byte(0xf6);
    }
    /// A link: tag 42 over 0x00 ++ the binary CID.
    pub fn cid(self: *Buf, c: []const u8) Error!void {
        try self.head(6, 42);
        try self.head(2, c.len + 1);
        try self.byte(0);
        try self.put(c);
    }
};

/// True if `s` is valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
pub fn utf8Valid(s: []const u8) bool {
    var i: usize = 0;
    while (i < s.len) {
        const c = s[i];
        if (c < 0x80) {
            i += 1;
            continue;
        }
        var n: usize = 0;
        var cp: u32 = 0;
        if (c >= 0xc2 and c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 and c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 and c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else return false;
        if (i + n >= s.len) return false;
        var k: usize = 1;
        while (k <= n) : (k += 1) {
            const d = s[i + k];
            if (d & 0xc0 != 0x80) return false;
            cp = (cp << 6) | (d & 0x3f);
        }
        if ((n == 2 and cp < 0x800) or (n == 3 and (cp < 0x10000 or cp > 0x10ffff))) return false;
        if (cp >= 0xd800 and cp <= 0xdfff) return false;
        i += n + 1;
    }
    return true;
}

/// Nesting `Reader.skip` and `Reader.walk` accept (the host's DecodeLimits.max_depth and the C
/// SDK's AC_MAX_DEPTH).
pub const MAX_DEPTH: usize = 1024;

/// `msg` as the C SDK words a reader failure: "DAG-CBOR: <msg> at byte <at>" (ERR_INVALID).
fn failAt(msg: []const u8, at: usize) Error {
    var buf: [160]u8 = undefined;
    var n: usize = 0;
    const pieces = [_][]const u8{ "DAG-CBOR: ", msg, " at byte " };
    for (pieces) |piece| {
        const k = @min(piece.len, buf.len - 20 - n);
        @memcpy(buf[n .. n + k], piece[0..k]);
        n += k;
    }
    var digits: [20]u8 = undefined;
    var i: usize = digits.len;
    var v = at;
    while (true) {
        i -= 1;
        digits[i] = '0' + @as(u8, @intCast(v % 10));
        v /= 10;
        if (v == 0) break;
    }
    @memcpy(buf[n .. n + digits.len - i], digits[i..]);
    n += digits.len - i;
    return fail(error.Invalid, buf[0..n]);
}

/// An integer of any sign, as DAG-CBOR holds it: the value is `m`, or -1 - `m` when `neg`.
pub const Integer = struct { neg: bool, m: u64 };

/// One open container of `Reader.walk`: items left (a map counts keys and values) and the
/// previous key of a map (for the canonical order check).
const Level = struct { rem: u64 = 0, key: ?[]const u8 = null, is_map: bool = false };

/// A strict DAG-CBOR reader over a slice, with the C SDK's semantics and messages (acr_*):
/// minimal heads, no indefinite lengths, tag 42 only, simple values false/true/null only,
/// floats 64-bit and finite, valid UTF-8, lengths bounded by the bytes left. A failure puts
/// "DAG-CBOR: <what> at byte <offset>" in the result slot and returns error.Invalid.
pub const Reader = struct {
    s: []const u8,
    pos: usize = 0,

    pub fn done(self: *const Reader) bool {
        return self.pos >= self.s.len;
    }
    /// Bytes not read yet.
    pub fn left(self: *const Reader) usize {
        return self.s.len - self.pos;
    }

    /// The next head, validated (acr_head): major type and argument (for major 7 the raw simple
    /// value or float bits). Lengths are checked against the bytes left only by the typed readers.
    pub fn nextHead(self: *Reader) Error!struct { major: u8, arg: u64 } {
        const at = self.pos;
        if (at >= self.s.len) return failAt("unexpected end of data", at);
        const ib = self.s[at];
        const m = ib >> 5;
        const ai = ib & 31;
        var extra: usize = 0;
        if (ai < 24) {
            extra = 0;
        } else if (ai <= 27) {
            extra = @as(usize, 1) << @intCast(ai - 24);
        } else if (ai == 31) {
            return failAt("indefinite length items are not allowed", at);
        } else return failAt("reserved additional information", at);
        if (self.s.len - at - 1 < extra) return failAt("unexpected end of data", at);
        var v: u64 = if (ai < 24) ai else 0;
        for (self.s[at + 1 .. at + 1 + extra]) |d| v = (v << 8) | d;
        if (m == 7) {
            if (ai == 27) {
                if ((v >> 52) & 0x7ff == 0x7ff) return failAt("NaN and Infinity are not allowed", at);
            } else if (ai < 20 or ai > 22) {
                return failAt(if (ai == 25 or ai == 26) "floats must be 64-bit" else "only true, false and null simple values are allowed", at);
            }
        } else {
            const minimum = [4]u64{ 24, 0x100, 0x1_0000, 0x1_0000_0000 };
            if (ai >= 24 and v < minimum[ai - 24]) return failAt("integer or length not minimally encoded", at);
            if (m == 6 and v != 42) return failAt("only tag 42 (CID) is allowed", at);
        }
        self.pos = at + 1 + extra;
        return .{ .major = m, .arg = v };
    }
    fn expect(self: *Reader, want: u8, what: []const u8) Error!u64 {
        const at = self.pos;
        const h = try self.nextHead();
        if (h.major != want) {
            self.pos = at;
            return failAt(what, at);
        }
        return h.arg;
    }
    /// The head of an item of major type `major` (0-7): its argument.
    pub fn head(self: *Reader, major: u8) Error!u64 {
        const what = [8][]const u8{
            "expected an unsigned integer", "expected a negative integer", "expected bytes",
            "expected a string",            "expected an array",           "expected a map",
            "expected a link (tag 42)",     "expected a boolean, null or a float",
        };
        return self.expect(major, what[major & 7]);
    }
    fn span(self: *Reader, major: u8, what: []const u8) Error![]const u8 {
        const at = self.pos;
        const n = try self.expect(major, what);
        if (n > self.left()) {
            self.pos = at;
            return failAt("length runs past the end of data", at);
        }
        const out = self.s[self.pos .. self.pos + @as(usize, @intCast(n))];
        self.pos += out.len;
        return out;
    }
    /// An unsigned integer, 0 ..= 2^64-1.
    pub fn uint(self: *Reader) Error!u64 {
        return self.expect(0, "expected an unsigned integer");
    }
    /// Any integer, -2^64 ..= 2^64-1.
    pub fn integer(self: *Reader) Error!Integer {
        const at = self.pos;
        const h = try self.nextHead();
        if (h.major > 1) {
            self.pos = at;
            return failAt("expected an integer", at);
        }
        return .{ .neg = h.major == 1, .m = h.arg };
    }
    /// Any integer that fits in i64.
    pub fn int(self: *Reader) Error!i64 {
        const at = self.pos;
        const v = try self.integer();
        if (v.m > @as(u64, @intCast(std_i64_max))) {
            self.pos = at;
            return failAt("integer out of 64-bit range", at);
        }
        const m: i64 = @intCast(v.m);
        return if (v.neg) -1 - m else m;
    }
    pub fn bytesItem(self: *Reader) Error![]const u8 {
        return self.span(2, "expected bytes");
    }
    pub fn text(self: *Reader) Error![]const u8 {
        const at = self.pos;
        const s = try self.span(3, "expected a string");
        if (!utf8Valid(s)) {
            self.pos = at;
            return failAt("string is not valid UTF-8", at);
        }
        return s;
    }
    /// An array's item count (bounded by the bytes left).
    pub fn array(self: *Reader) Error!usize {
        const at = self.pos;
        const n = try self.expect(4, "expected an array");
        if (n > self.left()) {
            self.pos = at;
            return failAt("array length runs past the end of data", at);
        }
        return @intCast(n);
    }
    /// A map's count of key/value pairs (bounded by the bytes left).
    pub fn map(self: *Reader) Error!usize {
        const at = self.pos;
        const n = try self.expect(5, "expected a map");
        if (n > self.left() / 2) {
            self.pos = at;
            return failAt("map length runs past the end of data", at);
        }
        return @intCast(n);
    }
    pub fn boolean(self: *Reader) Error!bool {
        const at = self.pos;
        _ = try self.expect(7, "expected a boolean");
        if (self.s[at] != 0xf4 and self.s[at] != 0xf5) {
            self.pos = at;
            return failAt("expected a boolean", at);
        }
        return self.s[at] == 0xf5;
    }
    pub fn null_(self: *Reader) Error!void {
        if (!self.tryNull()) return failAt("expected null", self.pos);
    }
    /// True (and consumed) if the next item is null: an optional field.
    pub fn tryNull(self: *Reader) bool {
        if (self.pos < self.s.len and self.s[self.pos] == 0xf6) {
            self.pos += 1;
            return true;
        }
        return false;
    }
    /// A float (DAG-CBOR has only finite 64-bit ones; -0.0 is one of them).
    pub fn float64(self: *Reader) Error!f64 {
        const at = self.pos;
        const bits = try self.expect(7, "expected a float");
        if (self.s[at] != 0xfb) {
            self.pos = at;
            return failAt("expected a float", at);
        }
        return @bitCast(bits);
    }
    /// The major type (0-7) of the next item, null at the end; nothing is consumed. Tells a
    /// link (6) from bytes (2), text (3)... before choosing the reader.
    pub fn peek(self: *const Reader) ?u8 {
        if (self.pos >= self.s.len) return null;
        return self.s[self.pos] >> 5;
    }
    /// After a tag 42 head: the 0x00-prefixed binary CID.
    fn cidBody(self: *Reader) Error![]const u8 {
        const b = try self.span(2, "tag 42 must wrap bytes");
        if (b.len == 0 or b[0] != 0) return failAt("tag 42 bytes must start with 0x00", self.pos);
        if (!cidValid(b[1..])) return failAt("tag 42 holds a malformed CID", self.pos);
        return b[1..];
    }
    /// A link (tag 42): the binary CID without its 0x00 prefix, checked as the host checks
    /// one (`cidValid`).
    pub fn cid(self: *Reader) Error![]const u8 {
        _ = try self.expect(6, "expected a link (tag 42)");
        return self.cidBody();
    }
    fn noLinks(_: void, _: []const u8) Error!void {}
    /// Skip one whole item of any kind, validated as strictly as the typed readers (map keys
    /// text in canonical order, no duplicates). No recursion: nesting deeper than MAX_DEPTH
    /// fails "nesting too deep".
    pub fn skip(self: *Reader) Error!void {
        return self.walk({}, noLinks);
    }
    /// Like `skip`, calling `onCid(ctx, cid)` for every link (binary CID) in document order; an
    /// error from `onCid` stops the walk and is returned.
    pub fn walk(self: *Reader, ctx: anytype, comptime onCid: fn (@TypeOf(ctx), []const u8) Error!void) Error!void {
        var st: [MAX_DEPTH + 1]Level = @splat(.{});
        var d: usize = 0;
        st[0].rem = 1;
        while (true) {
            while (st[d].rem == 0) {
                if (d == 0) return;
                d -= 1;
            }
            const is_key = st[d].is_map and st[d].rem & 1 == 0;
            st[d].rem -= 1;
            const at = self.pos;
            if (is_key) {
                if (self.peek()) |m| if (m != 3) return failAt("map keys must be strings", at);
                const k = try self.text();
                if (st[d].key) |prev| {
                    const order = keyOrder(prev, k);
                    if (order >= 0) {
                        self.pos = at;
                        return failAt(if (order == 0) "duplicate map key" else "map keys not in canonical order", at);
                    }
                }
                st[d].key = k;
                continue;
            }
            const h = try self.nextHead();
            const room: u64 = self.left();
            switch (h.major) {
                2, 3 => {
                    if (h.arg > room) {
                        self.pos = at;
                        return failAt("length runs past the end of data", at);
                    }
                    const body = self.s[self.pos .. self.pos + @as(usize, @intCast(h.arg))];
                    if (h.major == 3 and !utf8Valid(body)) {
                        self.pos = at;
                        return failAt("string is not valid UTF-8", at);
                    }
                    self.pos += body.len;
                },
                4, 5 => {
                    if ((h.major == 5 and h.arg > room / 2) or (h.major == 4 and h.arg > room)) {
                        self.pos = at;
                        return failAt("length runs past the end of data", at);
                    }
                    if (d >= MAX_DEPTH) {
                        self.pos = at;
                        return failAt("nesting too deep", at);
                    }
                    if (h.arg > 0) {
                        d += 1;
                        st[d] = .{ .rem = if (h.major == 5) h.arg * 2 else h.arg, .is_map = h.major == 5 };
                    }
                },
                6 => try onCid(ctx, try self.cidBody()),
                else => {}, // 0, 1, 7: fully validated by nextHead
            }
        }
    }
    /// Fail unless every byte was read.
    pub fn finish(self: *const Reader) Error!void {
        if (!self.done()) return failAt("trailing bytes after the item", self.pos);
    }
};

const std_i64_max: i64 = 0x7fff_ffff_ffff_ffff;

/// Canonical DAG-CBOR key order: -1 if `a` sorts before `b` (shorter first, then bytewise),
/// 0 if equal, 1 after.
pub fn keyOrder(a: []const u8, b: []const u8) i32 {
    if (a.len != b.len) return if (a.len < b.len) -1 else 1;
    for (a, b) |x, y| if (x != y) return if (x < y) -1 else 1;
    return 0;
}

/// An unsigned varint (multiformats) at `s[pos.*..]`: minimal, at most 9 bytes; advances `pos`.
pub fn varint(s: []const u8, pos: *usize) ?u64 {
    var v: u64 = 0;
    var i: u6 = 0;
    while (i < 9) : (i += 1) {
        if (pos.* >= s.len) return null;
        const c = s[pos.*];
        pos.* += 1;
        v |= @as(u64, c & 0x7f) << (7 * i);
        if (c & 0x80 == 0) {
            if (c == 0 and i > 0) return null;
            return v;
        }
    }
    return null;
}

/// True if `c` is a structurally valid binary CID: CIDv0 (0x12 0x20 + 32 bytes) or CIDv1
/// (0x01, minimal varints for codec, hash code and length, a digest of at most 1024 bytes that
/// ends the CID): what the host and the C SDK's `ac_cid_check` accept.
pub fn cidValid(c: []const u8) bool {
    if (c.len == 34 and c[0] == 0x12 and c[1] == 0x20) return true;
    if (c.len < 4 or c[0] != 0x01) return false;
    var pos: usize = 1;
    _ = varint(c, &pos) orelse return false;
    _ = varint(c, &pos) orelse return false;
    const size = varint(c, &pos) orelse return false;
    return size <= 1024 and size == c.len - pos;
}

/// The signature of an item function: input bytes in, output appended to `out`.
pub const ItemFn = fn (in: []const u8, out: *Buf) Error!void;
pub const FinalFn = fn (out: *Buf) Error!void;

/// Run an item function under the ABI: status returned, result slot set.
pub fn run(comptime f: ItemFn, p: [*]const u8, n: usize) i32 {
    var out = Buf{};
    setResult(&.{});
    f(p[0..n], &out) catch |e| return status(e);
    setResult(out.bytes());
    return OK;
}

pub fn run0(comptime f: FinalFn) i32 {
    var out = Buf{};
    setResult(&.{});
    f(&out) catch |e| return status(e);
    setResult(out.bytes());
    return OK;
}

/// Decode a batch frame (docs/abi.md section 3) with `f` per item.
pub fn batch(comptime f: ItemFn, p: [*]const u8, n: usize) i32 {
    const in = p[0..n];
    var out = Buf{};
    setResult(&.{});
    batchInner(f, in, &out) catch |e| return status(e);
    setResult(out.bytes());
    return OK;
}

fn le32(b: []const u8) u32 {
    return @as(u32, b[0]) | @as(u32, b[1]) << 8 | @as(u32, b[2]) << 16 | @as(u32, b[3]) << 24;
}

fn batchInner(comptime f: ItemFn, in: []const u8, out: *Buf) Error!void {
    if (in.len < 4) return fail(error.Invalid, "batch frame shorter than its count");
    const count = le32(in[0..4]);
    var pos: usize = 4;
    var i: u32 = 0;
    while (i < count) : (i += 1) {
        if (in.len - pos < 4) return fail(error.Invalid, "batch frame truncated");
        const len = le32(in[pos .. pos + 4]);
        pos += 4;
        if (len > in.len - pos) return fail(error.Invalid, "batch item past the end");
        const item = in[pos .. pos + len];
        pos += len;
        var one = Buf{};
        var st: i32 = OK;
        var res: []const u8 = &.{};
        if (f(item, &one)) |_| {
            res = one.bytes();
        } else |e| {
            st = status(e);
            res = @as([*]const u8, @ptrFromInt(slot[0]))[0..slot[1]];
        }
        const h = try out.extend(8);
        writeLe32(h[0..4], @intCast(st));
        writeLe32(h[4..8], @intCast(res.len));
        try out.put(res);
    }
    if (pos != in.len) return fail(error.Invalid, "trailing bytes after the batch frame");
}

fn writeLe32(b: []u8, v: u32) void {
    b[0] = @truncate(v);
    b[1] = @truncate(v >> 8);
    b[2] = @truncate(v >> 16);
    b[3] = @truncate(v >> 24);
}

// ---- the entry points every kind exports (docs/abi.md section 1) ----------------------
export fn ac_abi_version() i32 {
    return ABI_VERSION;
}

export fn ac_input(n: usize) ?[*]u8 {
    top = base();
    return alloc(n);
}

export fn ac_result() *[2]u32 {
    return &slot;
}
