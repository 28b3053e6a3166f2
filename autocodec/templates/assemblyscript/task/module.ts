// A toy task: {"fn": "add", "args": [a, b]} -> a + b for unsigned integers; an overflow past
// 2^64 - 1, a wrong argument count or an unknown function is ERR_INVALID.
import { Buf, Failure, Reader, invalid, run } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

function textIs(r: Reader, want: string): bool {
  const n = r.text();
  if (r.error !== null || n != <usize>want.length) return false;
  for (let i = 0; i < want.length; i++) if (<i32>load<u8>(r.at + <usize>i) != want.charCodeAt(i)) return false;
  return true;
}

function task(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  const shape = invalid("{{name}}: an invocation is {fn, args}");
  if (r.map() != 2 || !textIs(r, "fn")) return r.error !== null ? r.error : shape;
  if (!textIs(r, "add")) return r.error !== null ? r.error : invalid("{{name}}: the only function is add");
  if (!textIs(r, "args")) return r.error !== null ? r.error : shape;
  if (r.array() != 2) return r.error !== null ? r.error : invalid("{{name}}: add takes 2 arguments");
  const a = r.uint();
  const b = r.uint();
  r.finish();
  if (r.error !== null) return r.error;
  const sum = a + b;
  if (sum < a) return invalid("{{name}}: the sum is over 2^64 - 1");
  out.uint(sum);
  return null;
}

export function ac_task(p: usize, n: usize): i32 { return run(task, p, n); }
