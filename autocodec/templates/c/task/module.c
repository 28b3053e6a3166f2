/* A toy task: {"fn": "add", "args": [a, b]} -> a + b for unsigned integers; an overflow
 * past 2^64 - 1, a wrong argument count or an unknown function is AC_ERR_INVALID. */
#include "ac.h"

static int task(const uint8_t *in, size_t n, ac_buf *out) {
    acr r, fn, args;
    bool has_fn, has_args;
    const char *name;
    size_t name_len, count;
    uint64_t a, b;
    acr_init(&r, in, n);
    AC_TRY(acr_find(&r, "fn", &fn, &has_fn));
    AC_TRY(acr_find(&r, "args", &args, &has_args));
    if (!has_fn || !has_args) return ac_fail(AC_ERR_INVALID, "{{name}}: an invocation needs fn and args");
    AC_TRY(acr_text(&fn, &name, &name_len));
    if (ac_key_cmp(name, name_len, "add", 3) != 0)
        return ac_failf(AC_ERR_INVALID, "{{name}}: no function %.*s", (int)name_len, name);
    AC_TRY(acr_array(&args, &count));
    if (count != 2) return ac_failf(AC_ERR_INVALID, "{{name}}: add takes 2 arguments, not %zu", count);
    AC_TRY(acr_uint(&args, &a));
    AC_TRY(acr_uint(&args, &b));
    if (a + b < a) return ac_fail(AC_ERR_INVALID, "{{name}}: the sum is over 2^64 - 1");
    return acw_uint(out, a + b);
}

AC_EXPORT_TASK(task)
