;; Hostile: asks for 3000 pages (~190 MiB) of initial memory, over a small cap:
;; MemoryLimitExceeded at load.
(module
  (memory (export "memory") 3000)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (param $status i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (local.get $status))
  (func (export "ac_encode") (param i32 i32) (result i32) (call $ret (i32.const 0) (i32.const 0) (i32.const 2)))
  (func (export "ac_decode_batch") (param i32 i32) (result i32) (call $ret (i32.const 0) (i32.const 0) (i32.const 2)))
  (func (export "ac_decode") (param i32 i32) (result i32) (i32.const 0))
)
