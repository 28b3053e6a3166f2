;; Hostile: keeps its memory private (exported as "mem", not "memory"): ModuleRejected.
(module
  (memory (export "mem") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param i32) (result i32) (i32.const 4096))
  (func (export "ac_decode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_encode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) (i32.const 0))
)
