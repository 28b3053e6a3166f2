;; Hostile: the result slot address is outside memory (GuestFault before any read).
(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 0xfffffff0))
  (func (export "ac_input") (param i32) (result i32) (i32.const 4096))
  (func (export "ac_decode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_encode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) (i32.const 0))
)
