(module
  (memory (export "memory") 1)
  ;; 256-bin byte histogram written as 256 u32 at $out. Four sub-histograms in the kernel's
  ;; scratch page ([0, 4096)) take one byte lane each of a 4-byte load, so consecutive equal
  ;; bytes do not wait on the same counter; they are merged into $out at the end.
  (func $bump (param $addr i32)
    (i32.store (local.get $addr) (i32.add (i32.load (local.get $addr)) (i32.const 1))))
  (func (export "histogram_u8") (param $ptr i32) (param $len i32) (param $out i32)
    (local $end i32) (local $end4 i32) (local $w i32) (local $i i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 4096))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $end4 (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -4))))
    (block $wdone
      (br_if $wdone (i32.ge_u (local.get $ptr) (local.get $end4)))
      (loop $words
        (local.set $w (i32.load (local.get $ptr)))
        (call $bump (i32.shl (i32.and (local.get $w) (i32.const 255)) (i32.const 2)))
        (call $bump (i32.add (i32.const 1024)
          (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 8)) (i32.const 255)) (i32.const 2))))
        (call $bump (i32.add (i32.const 2048)
          (i32.shl (i32.and (i32.shr_u (local.get $w) (i32.const 16)) (i32.const 255)) (i32.const 2))))
        (call $bump (i32.add (i32.const 3072)
          (i32.shl (i32.shr_u (local.get $w) (i32.const 24)) (i32.const 2))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br_if $words (i32.lt_u (local.get $ptr) (local.get $end4)))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $ptr) (local.get $end)))
        (call $bump (i32.shl (i32.load8_u (local.get $ptr)) (i32.const 2)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $tail)))
    ;; merge: out[i] = t0[i] + t1[i] + t2[i] + t3[i], four bins per step
    (loop $merge
      (v128.store (i32.add (local.get $out) (local.get $i))
        (i32x4.add
          (i32x4.add (v128.load (local.get $i)) (v128.load offset=1024 (local.get $i)))
          (i32x4.add (v128.load offset=2048 (local.get $i)) (v128.load offset=3072 (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $merge (i32.lt_u (local.get $i) (i32.const 1024))))))
