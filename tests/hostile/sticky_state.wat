;; Tries every way a reused instance could carry state from one call into the next: a hidden
;; (not exported) i32 and i64 global, a counter in a data segment, a counter in a page that
;; starts zero, and the bytes of the previous input left in memory. decode returns the CBOR
;; uint16 1111 + the first four input-buffer bytes on its first call in a fresh instance;
;; any state kept across calls makes it larger. An input starting 0xFF traps after counting.
(module
  (memory (export "memory") 2)
  (global $g (mut i32) (i32.const 0))
  (global $g64 (mut i64) (i64.const 7))
  (data (i32.const 100) "\00\00\00\00")
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 1000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  (func $count (param $p i32) (param $n i32) (result i32)
    (local $v i32)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (global.set $g64 (i64.add (global.get $g64) (i64.const 1)))
    (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))
    (i32.store (i32.const 70000) (i32.add (i32.load (i32.const 70000)) (i32.const 1)))
    (local.set $v
      (i32.add
        (i32.add (global.get $g) (i32.mul (i32.load (i32.const 100)) (i32.const 10)))
        (i32.add (i32.mul (i32.load (i32.const 70000)) (i32.const 100))
                 (i32.mul (i32.wrap_i64 (i64.sub (global.get $g64) (i64.const 7))) (i32.const 1000)))))
    (local.set $v
      (i32.add (local.get $v)
        (i32.add (i32.add (i32.load8_u (i32.const 4096)) (i32.load8_u (i32.const 4097)))
                 (i32.add (i32.load8_u (i32.const 4098)) (i32.load8_u (i32.const 4099))))))
    (if (i32.and (i32.gt_u (local.get $n) (i32.const 0)) (i32.eq (i32.load8_u (local.get $p)) (i32.const 0xFF)))
      (then unreachable))
    (i32.store8 (i32.const 32) (i32.const 0x19))
    (i32.store8 (i32.const 33) (i32.shr_u (local.get $v) (i32.const 8)))
    (i32.store8 (i32.const 34) (local.get $v))
    (call $ret (i32.const 32) (i32.const 3)))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32) (call $count (local.get $p) (local.get $n)))
  (func (export "ac_encode") (param $p i32) (param $n i32) (result i32) (call $count (local.get $p) (local.get $n)))
  (func (export "ac_decode_batch") (param $p i32) (param $n i32) (result i32) (call $count (local.get $p) (local.get $n)))
)
