// Which prediction an explanation is about: task names, and the engine target (class / label /
// token id / QA start-end, and a token position) from the user's options and, when needed, one
// forward pass of the input.

import { check } from '../errors.js';

const TASK_HEADS = /** @type {Record<string, string>} */ ({
  'text-classification': 'sequence_classification',
  'token-classification': 'token_classification',
  'question-answering': 'question_answering',
  'fill-mask': 'masked_lm',
});
const ALIASES = /** @type {Record<string, string>} */ ({ 'sentiment-analysis': 'text-classification', ner: 'token-classification' });
/** ELECTRA's discriminator (one logit per token) is explained as token classification. */
const headOf = (/** @type {import('../model.js').BertologyModel} */ model) =>
  (model.info.head === 'replaced_token_detection' ? 'token_classification' : model.info.head);

/**
 * @param {import('../model.js').BertologyModel} model
 * @param {string} task
 */
export function resolveTask(model, task) {
  const name = ALIASES[task] ?? task ?? Object.keys(TASK_HEADS).find((t) => TASK_HEADS[t] === headOf(model));
  check(Object.hasOwn(TASK_HEADS, name), `explain: task "${task}" cannot be explained (${Object.keys(TASK_HEADS).join(', ')})`);
  check(TASK_HEADS[name] === headOf(model), `explain: task "${name}" needs a ${TASK_HEADS[name]} model, this one is ${model.info.head}`);
  return name;
}

/**
 * @param {import('../model.js').BertologyModel} model
 * @param {string} task
 * @param {import('../model.js').Encoding} encoding
 * @param {Int32Array} wordOfToken
 * @param {import('./words.js').ExplainWord[]} words
 * @param {import('./index.js').ExplainOptions} options
 * @returns {{index: number, position: number, label: (i: number) => string}}
 */
export function resolveTarget(model, task, encoding, wordOfToken, words, options) {
  const id2label = model.info.id2label ?? {};
  const labelOf = (/** @type {number} */ i) => id2label[String(i)] ?? `LABEL_${i}`;
  const classIndex = (/** @type {string|number|undefined} */ t, /** @type {number} */ n) => {
    if (t === undefined) return -1;
    const i = typeof t === 'number' ? t : Number(Object.keys(id2label).find((k) => id2label[k] === t) ?? NaN);
    check(Number.isInteger(i) && i >= 0 && i < n, `explain: target ${JSON.stringify(t)} is not a label of this model (${Object.values(id2label).join(', ') || `0..${n - 1}`})`);
    return i;
  };
  const tokenIndex = (/** @type {number|undefined} */ t) => {
    check(t === undefined || (Number.isInteger(t) && t >= 0 && t < encoding.ids.length), `explain: token ${t} is outside the ${encoding.ids.length} tokens`);
    return t;
  };
  if (task === 'text-classification') {
    return { index: classIndex(options.target, model.info.num_labels), position: -1, label: labelOf };
  }
  if (task === 'token-classification' && model.info.head === 'replaced_token_detection') {
    // The target is the token's one logit ("replaced"); by default the token most likely replaced.
    let position = tokenIndex(options.token);
    if (position === undefined && options.word !== undefined) {
      check(Number.isInteger(options.word) && options.word >= 0 && options.word < words.length, `explain: word ${options.word} is outside the ${words.length} words`);
      position = words[options.word].tokens[0];
    }
    if (position === undefined) {
      const logits = /** @type {import('../tensor.js').Tensor} */ (model.forwardEncodings([encoding]).logits).data;
      for (let t = 0; t < encoding.ids.length; t++) {
        if (wordOfToken[t] >= 0 && (position === undefined || logits[t] > logits[position])) position = t;
      }
    }
    check(options.target === undefined || options.target === 'replaced' || options.target === 0,
      'explain: an ELECTRA discriminator\'s target is "replaced" (its one logit per token)');
    return { index: 0, position: position ?? 0, label: () => 'replaced' };
  }
  if (task === 'token-classification') {
    let position = tokenIndex(options.token);
    if (position === undefined && options.word !== undefined) {
      check(Number.isInteger(options.word) && options.word >= 0 && options.word < words.length, `explain: word ${options.word} is outside the ${words.length} words`);
      position = words[options.word].tokens[0];
    }
    if (position === undefined) position = firstEntityToken(model, encoding, wordOfToken, labelOf);
    return { index: classIndex(options.target, model.info.num_labels), position, label: labelOf };
  }
  if (task === 'fill-mask') {
    const maskId = model.info.mask_token_id;
    const position = tokenIndex(options.token) ?? Array.from(encoding.ids).indexOf(maskId ?? -1);
    check(position >= 0, `explain: fill-mask needs the mask token ${model.info.mask_token ?? ''} in the text`);
    let index = -1;
    if (typeof options.target === 'string') {
      index = model.tokenToId(options.target);
      check(index >= 0, `explain: "${options.target}" is not in the vocabulary`);
    } else if (options.target !== undefined) {
      index = classIndex(options.target, model.info.vocab_size);
    }
    return { index, position, label: (i) => model.idToToken(i) };
  }
  // question answering: the start (or end) score at the best span's start (or end).
  const which = options.target ?? 'start';
  check(which === 'start' || which === 'end', 'explain: question answering targets are "start" or "end"');
  const position = tokenIndex(options.token) ?? bestSpan(model, encoding)[which === 'start' ? 0 : 1];
  return { index: which === 'start' ? 0 : 1, position, label: (i) => (i === 0 ? 'start' : 'end') };
}

/**
 * The first token of the first word whose predicted label is not "O" (else the first word).
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding} encoding
 * @param {ArrayLike<number>} wordOfToken
 * @param {(i: number) => string} labelOf
 */
function firstEntityToken(model, encoding, wordOfToken, labelOf) {
  const logits = /** @type {import('../tensor.js').Tensor} */ (model.forwardEncodings([encoding]).logits);
  const n = logits.dims[2];
  let first = -1;
  for (let t = 0; t < encoding.ids.length; t++) {
    if (wordOfToken[t] < 0) continue;
    if (first < 0) first = t;
    let best = 0;
    for (let j = 1; j < n; j++) if (logits.data[t * n + j] > logits.data[t * n + best]) best = j;
    if (labelOf(best) !== 'O') return t;
  }
  return first;
}

/**
 * Start and end token of the best context span (s ≤ e < s + 15), as the QA pipeline scores it.
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding} encoding
 */
function bestSpan(model, encoding) {
  const out = model.forwardEncodings([encoding]);
  const start = /** @type {import('../tensor.js').Tensor} */ (out.start_logits).data;
  const end = /** @type {import('../tensor.js').Tensor} */ (out.end_logits).data;
  let best = [-1, -1], score = -Infinity;
  for (let s = 0; s < encoding.ids.length; s++) {
    if (encoding.sequence_ids[s] !== 1) continue;
    for (let e = s; e < Math.min(encoding.ids.length, s + 15); e++) {
      if (encoding.sequence_ids[e] !== 1) break;
      if (start[s] + end[e] > score) { score = start[s] + end[e]; best = [s, e]; }
    }
  }
  check(best[0] >= 0, 'explain: the question-answering input has no context tokens');
  return best;
}
