// Embedding helpers with sentence-transformers' semantics: similarity matrices (util.cos_sim,
// util.dot_score, euclidean/manhattan), semantic search (util.semantic_search) and
// quantize_embeddings (float32 / int8 / uint8 / binary / ubinary).
//
//   import { cos_sim, semanticSearch } from 'bertology';
//   cos_sim(queries, corpus)               // Tensor [queries, corpus] (two 1-D vectors: a number)
//   semanticSearch(queries, corpus, { top_k: 3 })   // [[{corpus_id, score}, ...] per query]

import { check } from './errors.js';
import { Tensor } from './tensor.js';

/**
 * Embeddings as the helpers accept them: a [n, d] Tensor (or {data, dims}), rows as number[][] or
 * typed arrays, or one vector (a 1-D Tensor, a typed array or number[]).
 * @typedef {{data: ArrayLike<number>, dims: number[]} | ArrayLike<number>[] | ArrayLike<number>} EmbeddingsLike
 */

/**
 * @param {EmbeddingsLike} x
 * @param {string} what
 * @returns {{rows: number, dim: number, at: (i: number, k: number) => number, vector: boolean}}
 */
function matrix(x, what) {
  check(x != null && typeof x === 'object', `${what}: expected embeddings (a Tensor, number[][] or a vector)`);
  const t = /** @type {any} */ (x);
  if (t.data !== undefined && Array.isArray(t.dims)) {
    check(t.dims.length === 1 || t.dims.length === 2, `${what}: expected a 1-D or 2-D tensor, got dims [${t.dims}]`);
    const [rows, dim] = t.dims.length === 1 ? [1, t.dims[0]] : t.dims;
    check(t.data.length === rows * dim, `${what}: ${t.data.length} values do not fill dims [${t.dims}]`);
    return { rows, dim, at: (i, k) => t.data[i * dim + k], vector: t.dims.length === 1 };
  }
  check(typeof t.length === 'number', `${what}: expected embeddings (a Tensor, number[][] or a vector)`);
  if (t.length > 0 && typeof t[0] === 'object' && t[0] !== null) {
    const dim = t[0].length;
    check(Array.from(t).every((r) => r != null && r.length === dim), `${what}: rows must have equal lengths`);
    return { rows: t.length, dim, at: (i, k) => t[i][k], vector: false };
  }
  return { rows: 1, dim: t.length, at: (_, k) => t[k], vector: true };
}

/**
 * @param {EmbeddingsLike} a
 * @param {EmbeddingsLike} b
 * @param {(a: Float64Array, b: Float64Array) => number} score
 * @param {boolean} unit normalize rows first (cosine)
 * @param {string} name
 * @returns {Tensor | number}
 */
function pairwise(a, b, score, unit, name) {
  const A = matrix(a, `${name}: a`);
  const B = matrix(b, `${name}: b`);
  check(A.dim === B.dim, `${name}: the embeddings have different sizes (${A.dim} and ${B.dim})`);
  const rowsOf = (/** @type {ReturnType<typeof matrix>} */ M) => Array.from({ length: M.rows }, (_, i) => {
    const v = Float64Array.from({ length: M.dim }, (_, k) => Number(M.at(i, k)));
    if (unit) {
      const norm = Math.max(Math.hypot(...v), 1e-12);
      for (let k = 0; k < v.length; k++) v[k] /= norm;
    }
    return v;
  });
  const ra = rowsOf(A);
  const rb = rowsOf(B);
  const out = new Float32Array(A.rows * B.rows);
  ra.forEach((x, i) => rb.forEach((y, j) => { out[i * B.rows + j] = score(x, y); }));
  if (A.vector && B.vector) return out[0];
  return new Tensor(out, [A.rows, B.rows]);
}

const dot = (/** @type {Float64Array} */ x, /** @type {Float64Array} */ y) => {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += x[k] * y[k];
  return s;
};

/**
 * Cosine similarity of every row of `a` with every row of `b`: a Tensor [rows(a), rows(b)]
 * (sentence-transformers' util.cos_sim); for two 1-D vectors a number (transformers.js's cos_sim).
 * @param {EmbeddingsLike} a
 * @param {EmbeddingsLike} b
 */
export function cos_sim(a, b) { return pairwise(a, b, dot, true, 'cos_sim'); }

/**
 * Dot products of every row of `a` with every row of `b` (util.dot_score); a number for two vectors.
 * @param {EmbeddingsLike} a
 * @param {EmbeddingsLike} b
 */
export function dot_score(a, b) { return pairwise(a, b, dot, false, 'dot_score'); }

/**
 * Negative Euclidean distances (util.euclidean_sim).
 * @param {EmbeddingsLike} a
 * @param {EmbeddingsLike} b
 */
export function euclidean_sim(a, b) {
  return pairwise(a, b, (x, y) => -Math.sqrt(x.reduce((s, v, k) => s + (v - y[k]) ** 2, 0)), false, 'euclidean_sim');
}

/**
 * Negative Manhattan distances (util.manhattan_sim).
 * @param {EmbeddingsLike} a
 * @param {EmbeddingsLike} b
 */
export function manhattan_sim(a, b) {
  return pairwise(a, b, (x, y) => -x.reduce((s, v, k) => s + Math.abs(v - y[k]), 0), false, 'manhattan_sim');
}

/** sentence-transformers' similarity function names → functions. */
export const SIMILARITY_FUNCTIONS = { cosine: cos_sim, dot: dot_score, euclidean: euclidean_sim, manhattan: manhattan_sim };

/**
 * @typedef {object} SemanticSearchOptions
 * @property {number} [top_k] hits per query (default 10)
 * @property {'cosine' | 'dot' | 'euclidean' | 'manhattan' | ((a: EmbeddingsLike, b: EmbeddingsLike) => any)} [score_function]
 *   default cosine
 */

/**
 * For each query the `top_k` corpus entries with the highest scores, best first (util.semantic_search):
 * `[[{corpus_id, score}, ...], ...]`, one list per query. Equal scores keep corpus order.
 * @param {EmbeddingsLike} queries
 * @param {EmbeddingsLike} corpus
 * @param {SemanticSearchOptions} [options]
 * @returns {{corpus_id: number, score: number}[][]}
 */
export function semanticSearch(queries, corpus, { top_k = 10, score_function = 'cosine' } = {}) {
  check(Number.isInteger(top_k) && top_k > 0, `semanticSearch: top_k must be a positive integer, got ${top_k}`);
  const fn = typeof score_function === 'function' ? score_function : SIMILARITY_FUNCTIONS[score_function];
  check(typeof fn === 'function', `semanticSearch: score_function must be one of ${Object.keys(SIMILARITY_FUNCTIONS).join(', ')} or a function`);
  const Q = matrix(queries, 'semanticSearch: queries');
  const C = matrix(corpus, 'semanticSearch: corpus');
  check(C.rows > 0, 'semanticSearch: the corpus is empty');
  // Score one query at a time: memory stays O(corpus), not O(queries × corpus).
  const hits = [];
  for (let q = 0; q < Q.rows; q++) {
    const query = [Float64Array.from({ length: Q.dim }, (_, k) => Number(Q.at(q, k)))];
    const scores = /** @type {any} */ (fn(query, corpus));
    const row = scores?.data ?? scores?.[0];
    check(row && row.length === C.rows, 'semanticSearch: score_function must return a [queries, corpus] matrix');
    const order = Array.from({ length: C.rows }, (_, i) => i).sort((i, j) => row[j] - row[i] || i - j);
    hits.push(order.slice(0, top_k).map((i) => ({ corpus_id: i, score: Number(row[i]) })));
  }
  return hits;
}

/**
 * @typedef {'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary'} Precision
 */
export const PRECISIONS = ['float32', 'int8', 'uint8', 'binary', 'ubinary'];

/**
 * @typedef {object} QuantizeOptions
 * @property {EmbeddingsLike} [ranges] int8/uint8: [2, dim] per-dimension minimum and maximum
 * @property {EmbeddingsLike} [calibration_embeddings] int8/uint8: embeddings to take the ranges from
 *   (default: the embeddings being quantized)
 */

/**
 * sentence-transformers' quantize_embeddings. int8/uint8: 256 buckets per dimension between the
 * range's minimum and maximum, computed in float32 as numpy does — q = (x − min) / ((max − min) / 255),
 * uint8 = trunc(q), int8 = trunc(q − 128); values outside the range (other ranges or calibration data)
 * are clamped (numpy's cast leaves them undefined), and a dimension whose range is empty maps to the
 * lowest bucket. binary/ubinary: one bit per dimension (x > 0), packed 8 to a byte with the first
 * dimension in the high bit (numpy.packbits), each row padded to whole bytes; binary = byte − 128 (int8).
 * @param {EmbeddingsLike} embeddings [n, dim]
 * @param {Precision} precision
 * @param {QuantizeOptions} [options]
 * @returns {Tensor<any>} float32 [n, dim], int8/uint8 [n, dim], binary/ubinary [n, ceil(dim / 8)]
 */
export function quantizeEmbeddings(embeddings, precision, { ranges, calibration_embeddings } = {}) {
  check(PRECISIONS.includes(precision), `quantizeEmbeddings: precision must be one of ${PRECISIONS.join(', ')}, got ${precision}`);
  const E = matrix(embeddings, 'quantizeEmbeddings: embeddings');
  const { rows: n, dim } = E;
  const f = Math.fround;
  if (precision === 'float32') {
    return new Tensor(Float32Array.from({ length: n * dim }, (_, i) => E.at(Math.floor(i / dim), i % dim)), [n, dim]);
  }
  if (precision === 'binary' || precision === 'ubinary') {
    const width = Math.ceil(dim / 8);
    const bytes = new Uint8Array(n * width);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < dim; k++) if (E.at(i, k) > 0) bytes[i * width + (k >> 3)] |= 0x80 >> (k & 7);
    }
    if (precision === 'ubinary') return new Tensor(/** @type {any} */ (bytes), [n, width]);
    return new Tensor(/** @type {any} */ (Int8Array.from(bytes, (b) => b - 128)), [n, width]);
  }
  const lo = new Float32Array(dim);
  const hi = new Float32Array(dim);
  if (ranges !== undefined) {
    const R = matrix(ranges, 'quantizeEmbeddings: ranges');
    check(R.rows === 2 && R.dim === dim, `quantizeEmbeddings: ranges must be [2, ${dim}] (minimum and maximum per dimension)`);
    for (let k = 0; k < dim; k++) { lo[k] = R.at(0, k); hi[k] = R.at(1, k); }
  } else {
    const C = calibration_embeddings !== undefined ? matrix(calibration_embeddings, 'quantizeEmbeddings: calibration_embeddings') : E;
    check(C.dim === dim && C.rows > 0, `quantizeEmbeddings: calibration_embeddings must be [rows, ${dim}]`);
    lo.fill(Infinity);
    hi.fill(-Infinity);
    for (let i = 0; i < C.rows; i++) {
      for (let k = 0; k < dim; k++) {
        const v = C.at(i, k);
        if (v < lo[k]) lo[k] = v;
        if (v > hi[k]) hi[k] = v;
      }
    }
  }
  const steps = Float32Array.from(lo, (l, k) => f(f(hi[k] - l) / 255));
  const out = precision === 'uint8' ? new Uint8Array(n * dim) : new Int8Array(n * dim);
  const [min, max, shift] = precision === 'uint8' ? [0, 255, 0] : [-128, 127, 128];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) {
      let q = f(f(f(E.at(i, k)) - lo[k]) / steps[k]);
      if (shift) q = f(q - shift);
      const t = Number.isNaN(q) ? min : Math.trunc(q);
      out[i * dim + k] = Math.min(max, Math.max(min, t));
    }
  }
  return new Tensor(/** @type {any} */ (out), [n, dim]);
}
