(module
  (memory (export "memory") 1)
  ;; CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), table-driven one byte per step.
  ;; The 256-entry table lives at [0, 1024) of the kernel's own first page and is built once by
  ;; the start function. zlib.crc32 uses slicing and carry-less multiply in C: this kernel is
  ;; the honest loss among the built-ins.
  (func $init (local $i i32) (local $c i32) (local $k i32)
    (loop $entries
      (local.set $c (local.get $i))
      (local.set $k (i32.const 8))
      (loop $bits
        (local.set $c (select
          (i32.xor (i32.shr_u (local.get $c) (i32.const 1)) (i32.const 0xEDB88320))
          (i32.shr_u (local.get $c) (i32.const 1))
          (i32.and (local.get $c) (i32.const 1))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br_if $bits (local.get $k)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $c))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $entries (i32.lt_u (local.get $i) (i32.const 256)))))
  (start $init)
  (func (export "crc32") (param $ptr i32) (param $len i32) (result i32)
    (local $end i32) (local $c i32)
    (local.set $c (i32.const -1))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $bytes
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $c (i32.xor
          (i32.load (i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $ptr))) (i32.const 255)) (i32.const 2)))
          (i32.shr_u (local.get $c) (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $bytes)))
    (i32.xor (local.get $c) (i32.const -1))))
