;; Touches as many 4 KiB pages as its input asks, so that a reused instance's reset window
;; must widen and narrow (loader/_instance.py, ``_learn``). ac_decode reads a u16 (little
;; endian; one byte: that byte) k, then for each of the k pages from 64 KiB on adds up the
;; i32 at the page's start and at its end and writes 1 to both. It returns that sum as a CBOR
;; uint (0..23; 23 for more): 0 on a fresh instance, more when any page kept a write. Inputs of
;; up to 60 KiB (below the pages it sweeps) are taken; bytes after the first two are ignored.
(module
  (memory (export "memory") 32)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 61440)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $sweep (param $p i32) (param $n i32) (result i32)
    (local $k i32) (local $a i32) (local $sum i32)
    (if (i32.gt_u (local.get $n) (i32.const 0)) (then (local.set $k (i32.load8_u (local.get $p)))))
    (if (i32.gt_u (local.get $n) (i32.const 1))
      (then (local.set $k (i32.or (local.get $k) (i32.shl (i32.load8_u (i32.add (local.get $p) (i32.const 1))) (i32.const 8))))))
    (if (i32.gt_u (local.get $k) (i32.const 496)) (then (local.set $k (i32.const 496))))
    (local.set $a (i32.const 65536))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $sum (i32.add (local.get $sum) (i32.load (local.get $a))))
        (local.set $sum (i32.add (local.get $sum) (i32.load (i32.add (local.get $a) (i32.const 4092)))))
        (i32.store (local.get $a) (i32.const 1))
        (i32.store (i32.add (local.get $a) (i32.const 4092)) (i32.const 1))
        (local.set $a (i32.add (local.get $a) (i32.const 4096)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $next)))
    (if (i32.gt_u (local.get $sum) (i32.const 23)) (then (local.set $sum (i32.const 23))))
    (i32.store8 (i32.const 32) (local.get $sum))
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (i32.const 1))
    (i32.const 0))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32) (call $sweep (local.get $p) (local.get $n)))
  (func (export "ac_encode") (param $p i32) (param $n i32) (result i32) (call $sweep (local.get $p) (local.get $n)))
  (func (export "ac_decode_batch") (param $p i32) (param $n i32) (result i32) (call $sweep (local.get $p) (local.get $n)))
)
