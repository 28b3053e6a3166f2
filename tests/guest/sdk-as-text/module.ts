// Test-only (tests/test_sdk_authoring.py): AssemblyScript strings are UTF-16 and may hold lone
// surrogates, which have no UTF-8 form. `texts` writes some with Buf.text, `fail` returns one in
// a failure's message; both must reach the host as valid UTF-8 (U+FFFD in their place).
import { Buf, Failure, Reader, invalid, run } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

function task(p: usize, n: usize, out: Buf): Failure | null {
  const r = new Reader(p, p + n);
  r.map();  // {"fn": name, "args": []}, keys in canonical order
  r.text();
  const fnLen = r.text();
  if (r.error !== null) return r.error;
  const lone = String.fromCharCode(0xd800);
  if (fnLen == 4) return invalid("bad " + lone + "!");
  out.array(4);
  out.text(lone + "a");
  out.text("b" + String.fromCharCode(0xdfff));
  out.text(String.fromCharCodes([0xd83d, 0xde00]));  // a pair: U+1F600
  out.text(String.fromCharCodes([0xde00, 0xd83d]));  // reversed: two lone ones
  return null;
}

export function ac_task(p: usize, n: usize): i32 { return run(task, p, n); }
