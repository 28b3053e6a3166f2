;; Hostile: ac_input returns a pointer whose input would run past memory (GuestFault).
(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param i32) (result i32) (i32.const 65530))
  (func (export "ac_decode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_encode") (param i32 i32) (result i32) (i32.const 0))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) (i32.const 0))
)
