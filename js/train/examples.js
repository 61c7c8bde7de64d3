// Checking and tokenizing a trainer's examples: label ids (or token tags) against the trainer's
// labels, the cache key of an example, and its encoding within max_length.

import { invalid } from './options.js';

/** @typedef {import('./data.js').TextExample} TextExample */
/** @typedef {import('./data.js').TokenExample} TokenExample */

/**
 * Label ids of classification examples; throws on an unknown label.
 * @param {string[]} labels the trainer's labels
 * @param {TextExample[]} examples
 * @param {string} what
 * @returns {Int32Array}
 */
export function labelIds(labels, examples, what) {
  const ids = new Int32Array(examples.length);
  examples.forEach((ex, i) => {
    if (!ex || typeof ex !== 'object' || typeof ex.text !== 'string') {
      throw invalid(`${what}: example ${i} must be {text: string, label}, got ${JSON.stringify(ex)?.slice(0, 80)}`, { index: i });
    }
    const { label } = ex;
    let id = -1;
    if (typeof label === 'number' && Number.isInteger(label)) id = label >= 0 && label < labels.length ? label : -1;
    else if (typeof label === 'string') id = labels.indexOf(label);
    if (id < 0) {
      throw invalid(`${what}: example ${i} has label ${JSON.stringify(label)}, which is not one of the trainer's labels ${JSON.stringify(labels)} (or their indices 0..${labels.length - 1})`,
        { index: i, value: label, field: 'label' });
    }
    ids[i] = id;
  });
  return ids;
}

/**
 * @param {string[]} labels
 * @param {TokenExample[]} examples
 * @param {string} what
 */
export function checkTokenExamples(labels, examples, what) {
  examples.forEach((ex, i) => {
    if (!ex || !Array.isArray(ex.words) || !Array.isArray(ex.tags) || ex.words.length !== ex.tags.length || ex.words.length === 0) {
      throw invalid(`${what}: example ${i} must be {words: string[], tags: string[]} of the same non-zero length`, { index: i });
    }
    ex.tags.forEach((tag) => {
      if (!labels.includes(tag)) {
        throw invalid(`${what}: example ${i} has tag ${JSON.stringify(tag)}, which is not one of the trainer's labels ${JSON.stringify(labels)}`,
          { index: i, value: tag, field: 'tags' });
      }
    });
  });
}

/**
 * The cache key of an example: its text (and pair), or its words joined by single spaces.
 * @param {'sequence' | 'token'} kind
 * @param {TextExample | TokenExample} ex
 */
export function exampleKey(kind, ex) {
  if (kind === 'token') return /** @type {TokenExample} */ (ex).words.join(' ');
  const e = /** @type {TextExample} */ (ex);
  return e.text_pair == null ? e.text : `${e.text}\u0000${e.text_pair}`;
}

/**
 * One example's encoding, refusing (or, with truncation, cutting) texts over max_length.
 * @param {import('../model.js').BertologyModel} model
 * @param {{kind: 'sequence' | 'token', maxLength: number, truncation: boolean}} s
 * @param {TextExample | TokenExample} ex
 * @param {number} i
 * @param {string} what
 * @returns {import('../model.js').Encoding}
 */
export function tokenizeExample(model, { kind, maxLength, truncation }, ex, i, what) {
  const key = exampleKey(kind, ex);
  const text = kind === 'token' ? key : /** @type {TextExample} */ (ex).text;
  const pair = kind === 'token' ? null : /** @type {TextExample} */ (ex).text_pair ?? null;
  const full = model.tokenize(text, pair, { truncation: false });
  if (full.ids.length > maxLength && !truncation) {
    throw invalid(`${what}: example ${i} is ${full.ids.length} tokens long, over the limit of ${maxLength} (max_length); shorten it or pass truncation: true`,
      { index: i, value: full.ids.length, limit: 'max_length', max: maxLength });
  }
  return full.ids.length > maxLength ? model.tokenize(text, pair, { truncation: true, max_length: maxLength }) : full;
}

/**
 * Checks a dataset: an array, not empty, every label known.
 * @param {string[]} labels
 * @param {'sequence' | 'token'} kind
 * @param {unknown} examples
 * @param {string} what
 * @returns {Int32Array | null} sequence: the label ids
 */
export function checkExamples(labels, kind, examples, what) {
  if (!Array.isArray(examples)) throw invalid(`${what}: examples must be an array`);
  if (examples.length === 0) throw invalid(`${what}: the dataset is empty`, { field: 'examples' });
  if (kind === 'sequence') return labelIds(labels, /** @type {TextExample[]} */ (examples), what);
  checkTokenExamples(labels, /** @type {TokenExample[]} */ (examples), what);
  return null;
}
