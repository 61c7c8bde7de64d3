// Model inputs as flat Int32Arrays [batch * seq]: padding tokenized texts to the longest row, or
// normalizing ids the caller already has (nested arrays or {data, dims} tensors, int32 or int64).

import { BertologyError, check } from './errors.js';

/**
 * Flat int32 model inputs.
 * @typedef {object} BatchInputs
 * @property {Int32Array} ids
 * @property {Int32Array | null} typeIds null: the engine uses zeros
 * @property {Int32Array | null} [taskTypeIds] ERNIE's task type ids; null/absent: the engine uses zeros
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
 * Integer bounds of one input tensor: [min, max) and what the range is (for the message).
 * @typedef {{min: number, max: number, range: string}} IntRange
 */

const INT32 = /** @type {IntRange} */ ({ min: -2147483648, max: 2147483648, range: 'int32' });

/**
 * An INVALID_ARGUMENT error naming the tensor, the position and the offending value.
 * @param {string} name
 * @param {number[]} dims
 * @param {number} flat index into the flat data
 * @param {unknown} value
 * @param {string} why
 */
function badValue(name, dims, flat, value, why) {
  const seq = dims[1] || 1;
  const where = `${name}[${Math.floor(flat / seq)}][${flat % seq}]`;
  const shown = typeof value === 'bigint' ? `${value}n` : typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
  return Object.assign(new BertologyError(`forward: ${where} = ${shown} ${why}`, { code: 'INVALID_ARGUMENT' }),
    { field: name, value: typeof value === 'bigint' ? Number(value) : value, index: [Math.floor(flat / seq), flat % seq] });
}

/**
 * Copies values into an Int32Array, refusing (with the position and the value) anything that is not
 * an integer in `range` — instead of Int32Array's silent conversion (2023.7 → 2023, NaN → 0, 1e12 →
 * -727379968, '101' → 101).
 * @param {ArrayLike<unknown>} values
 * @param {Int32Array} out
 * @param {number} at where the values go in `out`
 * @param {string} name
 * @param {number[]} dims
 * @param {IntRange} range
 */
function copyIntegers(values, out, at, name, dims, range) {
  const { min, max } = range;
  if (values instanceof Int32Array && min <= -2147483648 && max >= 2147483648) {
    out.set(values, at);
    return;
  }
  for (let i = 0; i < values.length; i++) {
    const raw = values[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof v !== 'number') throw badValue(name, dims, at + i, raw, `is not a number (expected an integer)`);
    if (!Number.isInteger(v)) throw badValue(name, dims, at + i, raw, `is not an integer`);
    if (v < min || v >= max) throw badValue(name, dims, at + i, raw, `is outside ${range.range}`);
    out[at + i] = v;
  }
}

/**
 * @param {IdsLike} value
 * @param {string} name
 * @param {IntRange} range
 * @returns {{data: Int32Array, dims: number[]}}
 */
function toInt32Matrix(value, name, range) {
  if (Array.isArray(value)) {
    const batch = value.length;
    const seq = batch ? value[0]?.length : 0;
    check(value.every((r) => Array.isArray(r) && r.length === seq), `${name}: rows must be arrays of equal length`);
    check(batch * seq < 2147483648, `${name}: ${batch} x ${seq} values exceed int32`);
    const data = new Int32Array(batch * seq);
    value.forEach((r, b) => copyIntegers(r, data, b * seq, name, [batch, seq], range));
    return { data, dims: [batch, seq] };
  }
  check(value && value.data && Array.isArray(value.dims) && value.dims.length === 2,
    `${name}: expected number[][] or {data, dims: [batch, seq]}`);
  const [batch, seq] = value.dims;
  check(Number.isInteger(batch) && Number.isInteger(seq) && batch >= 0 && seq >= 0,
    `${name}: dims must be non-negative integers, got [${value.dims}]`);
  check(value.data.length === batch * seq, `${name}: ${value.data.length} values do not fill dims [${value.dims}]`);
  const data = new Int32Array(batch * seq);
  copyIntegers(/** @type {ArrayLike<unknown>} */ (value.data), data, 0, name, [batch, seq], range);
  return { data, dims: [batch, seq] };
}

/**
 * Ids given by the caller, checked: every value an integer; `input_ids` in [0, vocab_size),
 * `token_type_ids` in [0, type_vocab_size) (when the model has token types), the mask 0 or 1.
 * `task_type_ids` (ERNIE) in [0, task_type_vocab_size) when the model has task types, else 0.
 * @param {{input_ids: IdsLike, attention_mask?: IdsLike | null, token_type_ids?: IdsLike | null, task_type_ids?: IdsLike | null}} inputs
 * @param {{vocab_size?: number, type_vocab_size?: number, task_type_vocab_size?: number}} [model] the model's sizes (info)
 * @returns {BatchInputs}
 */
export function idsInputs(inputs, { vocab_size, type_vocab_size, task_type_vocab_size } = {}) {
  const idRange = vocab_size && vocab_size > 0
    ? { min: 0, max: vocab_size, range: `the vocabulary [0, ${vocab_size})` } : { ...INT32, min: 0, range: 'int32 [0, 2147483647]' };
  const ids = toInt32Matrix(inputs.input_ids, 'input_ids', idRange);
  const [batch, seq] = ids.dims;
  const other = (/** @type {IdsLike | null | undefined} */ v, /** @type {string} */ name, /** @type {IntRange} */ range) => {
    if (v == null) return null;
    const m = toInt32Matrix(v, name, range);
    check(m.dims[0] === batch && m.dims[1] === seq, `${name}: dims [${m.dims}] differ from input_ids [${batch},${seq}]`);
    return m.data;
  };
  const types = type_vocab_size && type_vocab_size > 0
    ? { min: 0, max: type_vocab_size, range: `the token types [0, ${type_vocab_size})` } : INT32;
  const mask = other(inputs.attention_mask, 'attention_mask', { min: 0, max: 2, range: '{0, 1}' })
    ?? new Int32Array(batch * seq).fill(1);
  const tasks = { min: 0, max: Math.max(1, task_type_vocab_size ?? 0), range: task_type_vocab_size
    ? `the task types [0, ${task_type_vocab_size})` : '{0} (this model has no task type embeddings)' };
  return {
    ids: ids.data, typeIds: other(inputs.token_type_ids, 'token_type_ids', types), mask, batch, seq,
    taskTypeIds: other(inputs.task_type_ids, 'task_type_ids', tasks),
  };
}

/**
 * Token ids for decode / idToToken-style calls: integers in int32, with the offending value named.
 * @param {ArrayLike<number | bigint>} ids
 * @param {string} operation
 * @returns {Int32Array}
 */
export function int32Ids(ids, operation) {
  check(ids != null && typeof ids === 'object' && typeof ids.length === 'number', `${operation}: ids must be an array of token ids`);
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const raw = ids[i];
    const v = typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw Object.assign(new BertologyError(`${operation}: ids[${i}] = ${typeof raw === 'bigint' ? `${raw}n` : String(raw)} is not an integer token id (int32)`,
        { code: 'INVALID_ARGUMENT' }), { field: 'ids', value: v, index: i });
    }
    out[i] = v;
  }
  return out;
}
