(module
  (memory (export "memory") 1)
  ;; sum of bytes [ptr, ptr+len) as u64. 64 bytes per step: four 16-byte loads widened
  ;; pairwise to u16 lanes (max 2040 each), then to u32 lanes; u32 lanes are folded
  ;; into u64 every 16 MiB so they can never overflow.
  (func (export "sum_u8") (param $ptr i32) (param $len i32) (result i64)
    (local $end i32) (local $chunk_end i32) (local $acc v128) (local $total v128) (local $s i64)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $chunks
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $ptr)) (i32.const 64)))
        (local.set $chunk_end (i32.add (local.get $ptr)
          (i32.and (select (i32.sub (local.get $end) (local.get $ptr)) (i32.const 16777216)
                     (i32.lt_u (i32.sub (local.get $end) (local.get $ptr)) (i32.const 16777216)))
                   (i32.const -64))))
        (local.set $acc (v128.const i64x2 0 0))
        (loop $blocks
          (local.set $acc (i32x4.add (local.get $acc)
            (i32x4.extadd_pairwise_i16x8_u
              (i16x8.add
                (i16x8.add (i16x8.extadd_pairwise_i8x16_u (v128.load (local.get $ptr)))
                           (i16x8.extadd_pairwise_i8x16_u (v128.load offset=16 (local.get $ptr))))
                (i16x8.add (i16x8.extadd_pairwise_i8x16_u (v128.load offset=32 (local.get $ptr)))
                           (i16x8.extadd_pairwise_i8x16_u (v128.load offset=48 (local.get $ptr))))))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 64)))
          (br_if $blocks (i32.lt_u (local.get $ptr) (local.get $chunk_end))))
        (local.set $total (i64x2.add (local.get $total)
          (i64x2.add (i64x2.extend_low_i32x4_u (local.get $acc)) (i64x2.extend_high_i32x4_u (local.get $acc)))))
        (br $chunks)))
    (local.set $s (i64.add (i64x2.extract_lane 0 (local.get $total)) (i64x2.extract_lane 1 (local.get $total))))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $s (i64.add (local.get $s) (i64.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $tail)))
    (local.get $s)))
