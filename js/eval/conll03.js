// CoNLL-2003 NER: entity-level F1 of a token-classification model, each word labelled by the
// prediction for its first sub-token.

import { argmax } from '../tensor.js';
import { entityScores } from './seqeval.js';

/** @typedef {{words: string[], tags: string[]}} ConllSentence */

/**
 * Parses `TOKEN POS CHUNK NER` lines; blank lines end sentences; -DOCSTART- lines are skipped.
 * @param {string} text
 * @returns {ConllSentence[]}
 */
export function parseConll(text) {
  /** @type {ConllSentence[]} */
  const sentences = [];
  /** @type {ConllSentence} */
  let current = { words: [], tags: [] };
  const flush = () => {
    if (current.words.length) sentences.push(current);
    current = { words: [], tags: [] };
  };
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed) { flush(); continue; }
    const cols = trimmed.split(/\s+/);
    if (cols[0] === '-DOCSTART-') { flush(); continue; }
    current.words.push(cols[0]);
    current.tags.push(cols[cols.length - 1]);
  }
  flush();
  return sentences;
}

/**
 * Word-level tags for one tokenized sentence: the words are joined by single spaces; each word
 * takes the label of the first token whose start offset falls inside it; words without tokens
 * (removed by normalization or truncated away) are 'O'.
 * @param {string[]} words
 * @param {import('../model.js').Encoding} enc
 * @param {import('../tensor.js').Tensor} logits [batch, seq, labels]
 * @param {number} b row of the batch
 * @param {Record<string, string>} id2label
 * @returns {string[]}
 */
export function wordTags(words, enc, logits, b, id2label) {
  const [, seq, labels] = logits.dims;
  const starts = [];
  let pos = 0;
  for (const w of words) { starts.push(pos); pos += w.length + 1; }
  const tags = new Array(words.length).fill('O');
  const seen = new Array(words.length).fill(false);
  let w = 0;
  for (let t = 0; t < enc.ids.length; t++) {
    if (enc.sequence_ids[t] !== 0) continue;
    const start = enc.offsets[2 * t];
    while (w + 1 < words.length && starts[w + 1] <= start) w++;
    if (seen[w]) continue;
    seen[w] = true;
    tags[w] = id2label[String(argmax(logits.data, (b * seq + t) * labels, labels))] ?? 'O';
  }
  return tags;
}

/**
 * @param {import('../model.js').BertologyModel} model
 * @param {ConllSentence[]} sentences
 * @param {{batch_size?: number}} [options]
 * @returns {{f1: number, precision: number, recall: number, predictions: string[][]}}
 */
export function evaluateConll(model, sentences, { batch_size = 32 } = {}) {
  const { id2label } = model.info;
  const encodings = sentences.map((s) => model.tokenize(s.words.join(' '), null, { truncation: true }));
  const order = encodings.map((_, i) => i).sort((a, b) => encodings[a].ids.length - encodings[b].ids.length);
  /** @type {string[][]} */
  const predictions = new Array(sentences.length);
  for (let start = 0; start < order.length; start += batch_size) {
    const idx = order.slice(start, start + batch_size);
    const { logits } = model.forwardEncodings(idx.map((i) => encodings[i]), { output_last_hidden_state: false });
    if (!logits || logits.dims.length !== 3) throw new Error('CoNLL-03: the model returned no per-token logits');
    idx.forEach((i, b) => { predictions[i] = wordTags(sentences[i].words, encodings[i], logits, b, id2label); });
  }
  const scores = entityScores(sentences.map((s) => s.tags), predictions);
  return { f1: scores.f1, precision: scores.precision, recall: scores.recall, predictions };
}
