// Feature detection for the wasm builds: does this JS engine run relaxed SIMD? Answered by
// WebAssembly.validate on a 47-byte module that uses the two relaxed instructions the relaxed builds
// contain (i16x8.relaxed_dot_i8x16_i7x16_s, i32x4.relaxed_dot_i8x16_i7x16_add_s): false in Node 20
// (relaxed SIMD behind a flag there), true in Node 22 and 24 and in Chromium since 114.

// (module (func (param v128 v128 v128) (result v128)
//   local.get 0 local.get 1 local.get 2 i32x4.relaxed_dot_i8x16_i7x16_add_s
//   local.get 0 local.get 1 i16x8.relaxed_dot_i8x16_i7x16_s i32x4.add))
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,  // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,  // type: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00,  // function 0 has type 0
  0x0a, 0x17, 0x01, 0x15, 0x00,  // code: one body of 21 bytes, no locals
  0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x93, 0x02,  // i32x4.relaxed_dot_i8x16_i7x16_add_s (0x113)
  0x20, 0x00, 0x20, 0x01, 0xfd, 0x92, 0x02,  // i16x8.relaxed_dot_i8x16_i7x16_s (0x112)
  0xfd, 0xae, 0x01,  // i32x4.add
  0x0b,
]);

/** @type {boolean | undefined} */
let relaxed;

/**
 * Whether this JS engine validates the relaxed-SIMD instructions the relaxed builds use.
 * @returns {boolean}
 */
export function relaxedSimdSupported() {
  if (relaxed === undefined) {
    try {
      relaxed = typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
    } catch {
      relaxed = false;
    }
  }
  return relaxed;
}
