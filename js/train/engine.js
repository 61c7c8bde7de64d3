// Training encoder layers, embeddings or LoRA adapters: the engine's Trainer (src/train/, Embind
// `module.Trainer`, contract in js/engine-contract.js) does forward + backward + AdamW per batch; this
// file turns examples into padded id batches with labels (-100 where the loss ignores a position) and
// reads back logits and the fine-tuned tensors. Present only in builds that have the training bindings.

import { unwrap } from '../errors.js';
import { padEncodings } from '../batch.js';

/**
 * @param {unknown} result
 * @param {string} operation
 * @returns {any}
 */
export function engineUnwrap(result, operation) {
  return unwrap(/** @type {any} */ (result), operation);
}

/** Whether this runtime's engine can train encoder parameters. @param {any} model */
export function engineCanTrain(model) {
  return typeof model?.runtime?.module?.Trainer === 'function';
}

/**
 * The token positions that carry a word's label: the first sub-token of each word (transformers'
 * label alignment); the words are the text joined by single spaces.
 * @param {import('../model.js').Encoding} enc
 * @param {string[]} words
 * @returns {{token: number, word: number}[]}
 */
export function firstSubTokens(enc, words) {
  const starts = [];
  let pos = 0;
  for (const w of words) { starts.push(pos); pos += w.length + 1; }
  /** @type {{token: number, word: number}[]} */
  const out = [];
  let w = 0;
  let last = -1;
  for (let t = 0; t < enc.ids.length; t++) {
    if (enc.sequence_ids[t] !== 0) continue;
    const s = enc.offsets[2 * t];
    while (w + 1 < words.length && starts[w + 1] <= s) w++;
    if (w === last) continue;
    last = w;
    out.push({ token: t, word: w });
  }
  return out;
}

/**
 * A padded batch for the engine, with labels: [batch] for sequences, [batch, seq] for tokens.
 * @param {import('../model.js').BertologyModel} model
 * @param {import('../model.js').Encoding[]} encodings
 * @param {(number | {token: number, label: number}[])[]} labels per example: a label id, or token labels
 */
export function engineBatch(model, encodings, labels) {
  const info = /** @type {any} */ (model.info);
  const batch = padEncodings(encodings, info.pad_token_id, { side: model.padding_side, padTypeId: info.pad_token_type_id ?? 0 });
  const typeIds = info.type_vocab_size > 0 ? batch.typeIds : null;
  let y;
  if (labels.every((l) => typeof l === 'number')) {
    y = Int32Array.from(/** @type {number[]} */ (labels));
  } else {
    y = new Int32Array(batch.batch * batch.seq).fill(-100);
    labels.forEach((l, b) => {
      const off = model.padding_side === 'left' ? batch.seq - encodings[b].ids.length : 0;
      for (const { token, label } of /** @type {{token: number, label: number}[]} */ (l)) y[b * batch.seq + off + token] = label;
    });
  }
  return { ids: batch.ids, typeIds, mask: batch.mask, batch: batch.batch, seq: batch.seq, labels: y };
}
