// Plain tensors ({data, dims}) and the small numeric helpers the tasks share.

/**
 * @template {Float32Array | Int32Array} [D=Float32Array]
 * @typedef {{data: D, dims: number[]}} TensorLike
 */

/**
 * A dense row-major tensor, shaped like transformers.js's `Tensor` (`data`, `dims`, `type`, `size`,
 * `tolist()`), without its math.
 * @template {Float32Array | Int32Array} [D=Float32Array]
 */
export class Tensor {
  /**
   * @param {D} data
   * @param {number[]} dims
   */
  constructor(data, dims) {
    /** @type {D} */
    this.data = data;
    /** @type {number[]} */
    this.dims = dims;
  }

  /** @returns {'float32' | 'int32' | 'int8' | 'uint8'} */
  get type() {
    const d = /** @type {ArrayBufferView} */ (this.data);
    return d instanceof Int32Array ? 'int32' : d instanceof Int8Array ? 'int8' : d instanceof Uint8Array ? 'uint8' : 'float32';
  }

  /** Number of elements. */
  get size() { return this.data.length; }

  /**
   * The values as nested arrays of numbers (dims.length levels deep).
   * @returns {any}
   */
  tolist() {
    const { data, dims } = this;
    if (dims.length === 0) return data[0];
    /** @type {(level: number, offset: number) => any} */
    const build = (level, offset) => {
      const n = dims[level];
      if (level === dims.length - 1) return Array.from(data.subarray(offset, offset + n));
      const stride = dims.slice(level + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: n }, (_, i) => build(level + 1, offset + i * stride));
    };
    return build(0, 0);
  }
}

/**
 * @param {Float32Array | Int32Array} data
 * @param {number[]} dims
 * @returns {Tensor<any>}
 */
export function tensor(data, dims) {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`tensor: ${data.length} values do not fill dims [${dims}]`);
  return new Tensor(data, dims);
}

/**
 * Row `index` of the leading dimension, as a view (no copy).
 * @template {Float32Array | Int32Array} D
 * @param {TensorLike<D>} t
 * @param {number} index
 * @returns {Tensor<D>}
 */
export function row(t, index) {
  const stride = t.data.length / t.dims[0];
  return new Tensor(/** @type {D} */ (t.data.subarray(index * stride, (index + 1) * stride)), t.dims.slice(1));
}

/**
 * Softmax over `x[start, start + n)`, in float64, returned as numbers.
 * @param {ArrayLike<number>} x
 * @param {number} [start]
 * @param {number} [n]
 * @returns {number[]}
 */
export function softmax(x, start = 0, n = x.length - start) {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, x[start + i]);
  const e = new Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (e[i] = Math.exp(x[start + i] - max));
  for (let i = 0; i < n; i++) e[i] /= sum;
  return e;
}

/**
 * Element-wise logistic sigmoid of `x[start, start + n)`.
 * @param {ArrayLike<number>} x
 * @param {number} [start]
 * @param {number} [n]
 * @returns {number[]}
 */
export function sigmoid(x, start = 0, n = x.length - start) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 / (1 + Math.exp(-x[start + i]));
  return out;
}

/**
 * Index of the largest of `x[start, start + n)` (first one on ties).
 * @param {ArrayLike<number>} x
 * @param {number} [start]
 * @param {number} [n]
 * @returns {number}
 */
export function argmax(x, start = 0, n = x.length - start) {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[start + i] > x[start + best]) best = i;
  return best;
}
