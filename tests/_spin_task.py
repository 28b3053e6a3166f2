"""``spin_task``: a task module (ABI v1) whose one function, ``spin``, loops ``iterations`` times
and then answers its input; for the tests of long calls (deadlines, in-flight limits).
"""

from __future__ import annotations

from tests._wat import ABI_HEAD

SPIN_WAT = "(module" + ABI_HEAD + """
  (func (export "ac_task") (param $p i32) (param $n i32) (result i32)
    (local $i i32)
    (local.set $i (i32.const ITERATIONS))
    (loop $spin (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $spin (local.get $i)))
    (i32.store (i32.const 16) (local.get $p))
    (i32.store (i32.const 20) (local.get $n))
    (i32.const 0)))"""


def spin_task(iterations: int) -> bytes:
    """A task module whose one function spins ``iterations`` times, then answers its input."""
    import wasmtime

    from autocodec import builtin
    from autocodec.cid import encode_varint

    wasm = bytes(wasmtime.wat2wasm(SPIN_WAT.replace("ITERATIONS", str(iterations))))
    meta = {"abi": 1, "kind": "task", "name": "spin", "codes": [], "version": "1.0.0", "functions": ["spin"],
            "description": "spins, then answers its input"}
    name = b"autocodec.module"
    payload = encode_varint(len(name)) + name + builtin.encode(meta, "dag-cbor")
    return wasm + b"\x00" + encode_varint(len(payload)) + payload  # a custom section may come last
