// Model inputs as flat Int32Arrays [batch * seq]: padding tokenized texts to the longest row, or
// normalizing ids the caller already has (nested arrays or {data, dims} tensors, int32 or int64).

import { check } from './errors.js';

/**
 * Flat int32 model inputs.
 * @typedef {object} BatchInputs
 * @property {Int32Array} ids
 * @property {Int32Array | null} typeIds null: the engine uses zeros
 * @property {Int32Array} mask
 * @property {number} batch
 * @property {number} seq
 */

/**
 * Ids as the caller may give them.
 * @typedef {number[][] | {data: ArrayLike<number | bigint>, dims: number[]}} IdsLike
 */

/**
 * Pads encodings to the longest one: pad id, the pad token type id (0; XLNet's tokenizer uses 3),
 * mask 0 — after the tokens (side 'right', the default) or before them (side 'left', as XLNet's
 * tokenizer pads).
 * @param {{ids: Int32Array, type_ids: Int32Array, attention_mask: Int32Array}[]} encodings
 * @param {number} padId
 * @param {{side?: 'left' | 'right', padTypeId?: number}} [options]
 * @returns {BatchInputs}
 */
export function padEncodings(encodings, padId, { side = 'right', padTypeId = 0 } = {}) {
  check(side === 'left' || side === 'right', `padding side must be 'left' or 'right', got ${side}`);
  const batch = encodings.length;
  const seq = Math.max(0, ...encodings.map((e) => e.ids.length));
  const ids = new Int32Array(batch * seq).fill(padId);
  const typeIds = new Int32Array(batch * seq).fill(padTypeId);
  const mask = new Int32Array(batch * seq);
  encodings.forEach((e, b) => {
    const at = b * seq + (side === 'left' ? seq - e.ids.length : 0);
    ids.set(e.ids, at);
    typeIds.set(e.type_ids, at);
    mask.set(e.attention_mask, at);
  });
  return { ids, typeIds, mask, batch, seq };
}

/**
 * @param {IdsLike} value
 * @param {string} name
 * @returns {{data: Int32Array, dims: number[]}}
 */
function toInt32Matrix(value, name) {
  if (Array.isArray(value)) {
    const batch = value.length;
    const seq = batch ? value[0].length : 0;
    check(value.every((r) => Array.isArray(r) && r.length === seq), `${name}: rows must be arrays of equal length`);
    const data = new Int32Array(batch * seq);
    value.forEach((r, b) => data.set(r, b * seq));
    return { data, dims: [batch, seq] };
  }
  check(value && value.data && Array.isArray(value.dims) && value.dims.length === 2,
    `${name}: expected number[][] or {data, dims: [batch, seq]}`);
  const [batch, seq] = value.dims;
  check(value.data.length === batch * seq, `${name}: ${value.data.length} values do not fill dims [${value.dims}]`);
  const data = value.data instanceof Int32Array
    ? value.data
    : Int32Array.from(/** @type {ArrayLike<any>} */ (value.data), (v) => Number(v));
  return { data, dims: [batch, seq] };
}

/**
 * @param {{input_ids: IdsLike, attention_mask?: IdsLike | null, token_type_ids?: IdsLike | null}} inputs
 * @returns {BatchInputs}
 */
export function idsInputs(inputs) {
  const ids = toInt32Matrix(inputs.input_ids, 'input_ids');
  const [batch, seq] = ids.dims;
  const other = (/** @type {IdsLike | null | undefined} */ v, /** @type {string} */ name) => {
    if (v == null) return null;
    const m = toInt32Matrix(v, name);
    check(m.dims[0] === batch && m.dims[1] === seq, `${name}: dims [${m.dims}] differ from input_ids [${batch},${seq}]`);
    return m.data;
  };
  const mask = other(inputs.attention_mask, 'attention_mask') ?? new Int32Array(batch * seq).fill(1);
  return { ids: ids.data, typeIds: other(inputs.token_type_ids, 'token_type_ids'), mask, batch, seq };
}
