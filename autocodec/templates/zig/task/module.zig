//! A toy task: {"fn": "add", "args": [a, b]} -> a + b for unsigned integers; an overflow past
//! 2^64 - 1, a wrong argument count or an unknown function is ERR_INVALID.
const ac = @import("ac");

fn eql(a: []const u8, b: []const u8) bool {
    if (a.len != b.len) return false;
    for (a, b) |x, y| if (x != y) return false;
    return true;
}

fn task(in: []const u8, out: *ac.Buf) ac.Error!void {
    var r = ac.Reader{ .s = in };
    if (try r.map() != 2) return ac.fail(error.Invalid, "{{name}}: an invocation is {fn, args}");
    if (!eql(try r.text(), "fn")) return ac.fail(error.Invalid, "{{name}}: an invocation is {fn, args}");
    if (!eql(try r.text(), "add")) return ac.fail(error.Invalid, "{{name}}: the only function is add");
    if (!eql(try r.text(), "args")) return ac.fail(error.Invalid, "{{name}}: an invocation is {fn, args}");
    if (try r.array() != 2) return ac.fail(error.Invalid, "{{name}}: add takes 2 arguments");
    const a = try r.uint();
    const b = try r.uint();
    try r.finish();
    const sum = @addWithOverflow(a, b);
    if (sum[1] != 0) return ac.fail(error.Invalid, "{{name}}: the sum is over 2^64 - 1");
    try out.uint(sum[0]);
}

export fn ac_task(p: [*]const u8, n: usize) i32 {
    return ac.run(task, p, n);
}
