// A toy hasher: FNV-1a 64 (Fowler/Noll/Vo), digest = the 64-bit value big-endian.
// Not for security; it shows the one-shot and the streaming entry points.
// Stream state lives in a global number (ac_input does not clear it).
import { Buf, Failure, OK, run, run0, setResult } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

const OFFSET: u64 = 0xcbf29ce484222325;
const PRIME: u64 = 0x100000001b3;
let state: u64 = OFFSET;

function fnv(h: u64, p: usize, n: usize): u64 {
  for (let i: usize = 0; i < n; i++) h = (h ^ <u64>load<u8>(p + i)) * PRIME;
  return h;
}

function digest(h: u64, out: Buf): Failure | null {
  for (let i = 7; i >= 0; i--) out.byte(<u8>(h >> (<u64>(8 * i))));
  return null;
}

function hash(p: usize, n: usize, out: Buf): Failure | null { return digest(fnv(OFFSET, p, n), out); }
function final(out: Buf): Failure | null { return digest(state, out); }

export function ac_hash(p: usize, n: usize): i32 { return run(hash, p, n); }
export function ac_hash_init(): i32 { setResult(0, 0); state = OFFSET; return OK; }
export function ac_hash_update(p: usize, n: usize): i32 { setResult(0, 0); state = fnv(state, p, n); return OK; }
export function ac_hash_final(): i32 { return run0(final); }
