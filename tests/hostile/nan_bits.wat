;; Determinism probe: decode returns (as a CBOR uint) the bit pattern of 0/0 computed from
;; input bytes at run time. With NaN
;; canonicalization on, the f32 result is always 0x7fc00000 whatever the hardware does.
(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 1000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32)
    (local $bits i32)
    ;; x / x with x read from the (zero) input: 0/0 at run time, not a folded constant
    (local.set $bits (i32.reinterpret_f32
      (f32.div (f32.convert_i32_u (i32.load8_u (local.get $p)))
               (f32.convert_i32_u (i32.load8_u offset=1 (local.get $p))))))
    (i32.store8 (i32.const 32) (i32.const 0x1a))
    (i32.store8 (i32.const 33) (i32.shr_u (local.get $bits) (i32.const 24)))
    (i32.store8 (i32.const 34) (i32.shr_u (local.get $bits) (i32.const 16)))
    (i32.store8 (i32.const 35) (i32.shr_u (local.get $bits) (i32.const 8)))
    (i32.store8 (i32.const 36) (local.get $bits))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 5))
    (i32.const 0))
  (func (export "ac_encode") (param i32 i32) (result i32) (i32.const 2))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) (i32.const 2))
)
