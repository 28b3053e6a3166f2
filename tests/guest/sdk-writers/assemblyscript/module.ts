// Writes the document tests/test_sdk.py expects, with every writer of the AssemblyScript SDK.
import { Buf, Failure, run } from "./ac";
export { ac_abi_version, ac_input, ac_result } from "./ac";

const CID: u8[] = [0x01, 0x55, 0x12, 0x20, 0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99,
  0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55];
const UINTS: u64[] = [0, 23, 24, 255, 256, 65535, 65536, 0xffffffff, 0x100000000, 0xffffffffffffffff];
const INTS: i64[] = [0, -1, -24, -25, -256, -257, -65537, -0x100000001, i64.MIN_VALUE];

function doc(p: usize, n: usize, out: Buf): Failure | null {
  out.map(6);
  out.text("b");
  const b: u8[] = [0, 1, 2];
  out.bytes(b.dataStart, 3);
  out.text("c");
  out.cid(CID.dataStart, <usize>CID.length);
  out.text("i");
  out.array(<usize>INTS.length);
  for (let i = 0; i < INTS.length; i++) out.int(INTS[i]);
  out.text("l");
  out.array(3);
  out.bool(true);
  out.bool(false);
  out.null();
  out.text("t");
  out.text("caf\u00e9 \u{1f600}");
  out.text("u");
  out.array(<usize>UINTS.length);
  for (let i = 0; i < UINTS.length; i++) out.uint(UINTS[i]);
  return null;
}

export function ac_task(p: usize, n: usize): i32 { return run(doc, p, n); }
