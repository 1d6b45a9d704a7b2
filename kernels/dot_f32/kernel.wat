(module
  (memory (export "memory") 1)
  ;; Dot product of two f32 vectors laid out back to back: a = [ptr, ptr + 4n), b right after,
  ;; n = len / 8 (trailing bytes that do not make a pair are ignored). Two f32x4 accumulators,
  ;; 8 pairs per step, so two independent add chains keep the multiply units busy.
  (func (export "dot_f32") (param $ptr i32) (param $len i32) (result f32)
    (local $n i32) (local $a i32) (local $b i32) (local $a_end i32) (local $vec_end i32)
    (local $acc0 v128) (local $acc1 v128) (local $s f32)
    (local.set $n (i32.shr_u (local.get $len) (i32.const 3)))
    (local.set $a (local.get $ptr))
    (local.set $b (i32.add (local.get $ptr) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $a_end (local.get $b))
    (local.set $vec_end (i32.add (local.get $a) (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const -32))))
    (block $vdone
      (br_if $vdone (i32.ge_u (local.get $a) (local.get $vec_end)))
      (loop $v
        (local.set $acc0 (f32x4.add (local.get $acc0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $acc1 (f32x4.add (local.get $acc1)
          (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br_if $v (i32.lt_u (local.get $a) (local.get $vec_end)))))
    (local.set $acc0 (f32x4.add (local.get $acc0) (local.get $acc1)))
    (local.set $s (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc0)) (f32x4.extract_lane 1 (local.get $acc0)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc0)) (f32x4.extract_lane 3 (local.get $acc0)))))
    (block $tdone
      (loop $t
        (br_if $tdone (i32.ge_u (local.get $a) (local.get $a_end)))
        (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $a)) (f32.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 4)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $t)))
    (local.get $s)))
