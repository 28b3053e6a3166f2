"""A probe codec in WAT for the loader tests: ``CODEC`` (ABI v1; decode writes one byte, the
``{answer}`` expression, with ``{pages}`` of memory and ``{extra}`` fields) and ``module``, which
assembles it with the ``autocodec.module`` metadata section (``encode_meta``: codec "probe").
"""

from __future__ import annotations

import wasmtime

from autocodec import builtin
from tests._wat import custom_section, metadata

CODEC = """(module
  (memory (export "memory") {pages})
  {extra}
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32) (i32.const 4096))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32)
    (i32.store8 (i32.const 32) ({answer}))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 1))
    (i32.const 0))
  (func (export "ac_encode") (param $p i32) (param $n i32) (result i32) (i32.const 1))
  (func (export "ac_decode_batch") (param $p i32) (param $n i32) (result i32) (i32.const 1))
)"""


def module(pages: int = 1, extra: str = "", answer: str = "i32.const 0") -> bytes:
    wasm = wasmtime.wat2wasm(CODEC.format(pages=pages, extra=extra, answer=answer))
    return bytes(wasm) + custom_section("autocodec.module", encode_meta())


def encode_meta() -> bytes:
    return builtin.encode(metadata("codec", name="probe"), "dag-cbor")
