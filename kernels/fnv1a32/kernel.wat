(module
  (memory (export "memory") 1)
  ;; FNV-1a, 32 bit: h = (h xor byte) * 16777619 for every byte, from offset basis 2166136261.
  ;; Every step depends on the one before, so this is a scalar loop; it wins because the
  ;; Python fallback pays an interpreter round trip per byte.
  (func (export "fnv1a32") (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $h i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $h (i32.mul (i32.xor (local.get $h) (i32.load8_u (local.get $ptr))) (i32.const 16777619)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $bytes)))
    (local.get $h)))
