//! ac.zig - the autocodec guest SDK for Zig (ABI v1, docs/abi.md).
//!
//! Invariants:
//! - Every byte a call allocates comes from the arena [__heap_base, top); `ac_input` rewinds
//!   it, so nothing survives from one call to the next (stream state lives in globals).
//! - `alloc` never traps: it returns null when linear memory cannot grow (-> ERR_NOMEM).
//! - `Buf` errors are sticky: after a failure every write is a no-op returning the error.
//! - The writer emits canonical DAG-CBOR heads (shortest form); map keys must be written in
//!   canonical order by the caller (shorter first, then bytewise).
//! - The reader never reads outside its slice and rejects non-minimal heads.
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

/// A strict DAG-CBOR reader over a slice (heads must be minimal; lengths are checked).
pub const Reader = struct {
    s: []const u8,
    pos: usize = 0,

    pub fn done(self: *const Reader) bool {
        return self.pos >= self.s.len;
    }

    pub fn head(self: *Reader, major: u8) Error!u64 {
        if (self.pos >= self.s.len) return fail(error.Invalid, "unexpected end of DAG-CBOR");
        const b = self.s[self.pos];
        if (b >> 5 != major) return fail(error.Invalid, "unexpected DAG-CBOR type");
        const ai = b & 0x1f;
        self.pos += 1;
        if (ai < 24) return ai;
        if (ai > 27) return fail(error.Invalid, "indefinite or reserved DAG-CBOR head");
        const n = @as(usize, 1) << @intCast(ai - 24);
        if (self.s.len - self.pos < n) return fail(error.Invalid, "truncated DAG-CBOR head");
        var v: u64 = 0;
        for (self.s[self.pos .. self.pos + n]) |d| v = (v << 8) | d;
        self.pos += n;
        const min: u64 = switch (n) {
            1 => 24,
            2 => 0x100,
            4 => 0x1_0000,
            else => 0x1_0000_0000,
        };
        if (v < min) return fail(error.Invalid, "non-minimal DAG-CBOR head");
        return v;
    }
    fn take(self: *Reader, n: u64) Error![]const u8 {
        if (n > self.s.len - self.pos) return fail(error.Invalid, "DAG-CBOR length past the end");
        const out = self.s[self.pos .. self.pos + @as(usize, @intCast(n))];
        self.pos += out.len;
        return out;
    }
    pub fn uint(self: *Reader) Error!u64 {
        return self.head(0);
    }
    pub fn bytesItem(self: *Reader) Error![]const u8 {
        return self.take(try self.head(2));
    }
    pub fn text(self: *Reader) Error![]const u8 {
        const s = try self.take(try self.head(3));
        if (!utf8Valid(s)) return fail(error.Invalid, "text is not valid UTF-8");
        return s;
    }
    pub fn array(self: *Reader) Error!usize {
        const n = try self.head(4);
        if (n > self.s.len - self.pos) return fail(error.Invalid, "array longer than its bytes");
        return @intCast(n);
    }
    pub fn map(self: *Reader) Error!usize {
        const n = try self.head(5);
        if (n > self.s.len - self.pos) return fail(error.Invalid, "map longer than its bytes");
        return @intCast(n);
    }
    /// The major type (0-7) of the next item, null at the end; nothing is consumed. Tells a
    /// link (6) from bytes (2), text (3)... before choosing the reader.
    pub fn peek(self: *const Reader) ?u8 {
        if (self.pos >= self.s.len) return null;
        return self.s[self.pos] >> 5;
    }
    /// A link (tag 42): the binary CID without its 0x00 prefix, checked as the host checks
    /// one (`cidValid`).
    pub fn cid(self: *Reader) Error![]const u8 {
        if (try self.head(6) != 42) return fail(error.Invalid, "only tag 42 (CID) is allowed");
        const b = try self.bytesItem();
        if (b.len == 0 or b[0] != 0) return fail(error.Invalid, "tag 42 bytes must start with 0x00");
        if (!cidValid(b[1..])) return fail(error.Invalid, "tag 42 holds a malformed CID");
        return b[1..];
    }
    /// Fail unless every byte was read.
    pub fn finish(self: *const Reader) Error!void {
        if (!self.done()) return fail(error.Invalid, "trailing bytes after the DAG-CBOR item");
    }
};

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
