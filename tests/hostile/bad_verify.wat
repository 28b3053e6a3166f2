;; Hostile crypto: answers two bytes instead of one (GuestFault, never "valid").
(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func (export "ac_verify") (param i32 i32) (result i32)
    (i32.store16 (i32.const 32) (i32.const 0x0101))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 2))
    (i32.const 0))
)
