(module
  (memory (export "memory") 1)
  ;; Byte search: how many bytes of [ptr, ptr+len) equal $needle. i8x16.eq gives -1 per match;
  ;; subtracting it counts in u8 lanes, which are widened to u32 lanes every 63 steps of 64
  ;; bytes (252 matches at most per lane) so they never wrap.
  (func (export "count_byte") (param $ptr i32) (param $len i32) (param $needle i32) (result i64)
    (local $end i32) (local $vec_end i32) (local $chunk_end i32) (local $n v128)
    (local $acc8 v128) (local $acc32 v128) (local $count i64)
    (local.set $n (i8x16.splat (local.get $needle)))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (local.set $vec_end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const -64))))
    (block $done
      (loop $chunks
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $vec_end)))
        (local.set $chunk_end (i32.add (local.get $ptr) (i32.const 4032)))
        (if (i32.gt_u (local.get $chunk_end) (local.get $vec_end))
          (then (local.set $chunk_end (local.get $vec_end))))
        (local.set $acc8 (v128.const i64x2 0 0))
        (loop $steps
          (local.set $acc8 (i8x16.sub (local.get $acc8) (i8x16.eq (v128.load (local.get $ptr)) (local.get $n))))
          (local.set $acc8 (i8x16.sub (local.get $acc8) (i8x16.eq (v128.load offset=16 (local.get $ptr)) (local.get $n))))
          (local.set $acc8 (i8x16.sub (local.get $acc8) (i8x16.eq (v128.load offset=32 (local.get $ptr)) (local.get $n))))
          (local.set $acc8 (i8x16.sub (local.get $acc8) (i8x16.eq (v128.load offset=48 (local.get $ptr)) (local.get $n))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
          (br_if $steps (i32.lt_u (local.get $ptr) (local.get $chunk_end))))
        (local.set $acc32 (i32x4.add (local.get $acc32)
          (i32x4.extadd_pairwise_i16x8_u (i16x8.extadd_pairwise_i8x16_u (local.get $acc8)))))
        (br $chunks)))
    (local.set $count (i64.add
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 0 (local.get $acc32)))
               (i64.extend_i32_u (i32x4.extract_lane 1 (local.get $acc32))))
      (i64.add (i64.extend_i32_u (i32x4.extract_lane 2 (local.get $acc32)))
               (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $acc32))))))
    (block $tdone
      (loop $tail
        (br_if $tdone (i32.ge_u (local.get $ptr) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $ptr)) (i32.and (local.get $needle) (i32.const 255)))
          (then (local.set $count (i64.add (local.get $count) (i64.const 1)))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $tail)))
    (local.get $count)))
