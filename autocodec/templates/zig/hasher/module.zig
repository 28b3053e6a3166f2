//! A toy hasher: FNV-1a 64 (Fowler/Noll/Vo), digest = the 64-bit value big-endian.
//! Not for security; it shows the one-shot and the streaming entry points.
//! Stream state lives in a global (ac_input does not clear it).
const ac = @import("ac");

const offset: u64 = 0xcbf29ce484222325;
const prime: u64 = 0x100000001b3;
var state: u64 = offset;

fn fnv(h0: u64, in: []const u8) u64 {
    var h = h0;
    for (in) |c| h = (h ^ c) *% prime;
    return h;
}

fn digest(h: u64, out: *ac.Buf) ac.Error!void {
    const d = try out.extend(8);
    for (d, 0..) |*b, i| b.* = @truncate(h >> @intCast(56 - 8 * i));
}

fn hash(in: []const u8, out: *ac.Buf) ac.Error!void {
    return digest(fnv(offset, in), out);
}

fn final(out: *ac.Buf) ac.Error!void {
    return digest(state, out);
}

export fn ac_hash(p: [*]const u8, n: usize) i32 {
    return ac.run(hash, p, n);
}
export fn ac_hash_init() i32 {
    ac.setResult(&.{});
    state = offset;
    return ac.OK;
}
export fn ac_hash_update(p: [*]const u8, n: usize) i32 {
    ac.setResult(&.{});
    state = fnv(state, p[0..n]);
    return ac.OK;
}
export fn ac_hash_final() i32 {
    return ac.run0(final);
}
