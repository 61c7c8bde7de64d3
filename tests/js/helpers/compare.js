// Numeric comparison against reference tensors.

import assert from 'node:assert/strict';

/**
 * Largest |a - b| (Infinity if any value is NaN on one side only).
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 */
export function maxAbsDiff(a, b) {
  assert.equal(a.length, b.length, 'length mismatch');
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = Number.isNaN(d) ? Infinity : d;
  }
  return max;
}

/**
 * Asserts dims equal the reference shape and every value is within `tol`; returns the max diff.
 * @param {string} what
 * @param {{data: ArrayLike<number>, dims: number[]} | undefined} actual
 * @param {{data: ArrayLike<number>, shape: number[]}} expected
 * @param {number} tol
 */
export function assertClose(what, actual, expected, tol) {
  assert.ok(actual, `${what}: missing from the engine's output`);
  assert.deepEqual(actual.dims, expected.shape, `${what}: dims`);
  const diff = maxAbsDiff(actual.data, expected.data);
  assert.ok(diff <= tol, `${what}: max abs diff ${diff.toExponential(2)} > ${tol}`);
  return diff;
}
