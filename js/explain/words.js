// Word grouping for explanations: the tokenizer's word ids (per input sequence) become one flat word
// index per token (-1 for special tokens), and each word gets its text and JS string offsets.

/**
 * @typedef {object} ExplainWord
 * @property {string} word the text between start and end
 * @property {number} start UTF-16 offset into the text it came from
 * @property {number} end
 * @property {number} sequence 0 = first text (e.g. the question), 1 = the pair (e.g. the context)
 * @property {number[]} tokens indices of its tokens
 */

/**
 * @param {import('../model.js').Encoding} encoding
 * @param {string[]} texts the first text and, for pairs, the second
 * @returns {{wordOfToken: Int32Array, words: ExplainWord[]}}
 */
export function groupWords(encoding, texts) {
  const n = encoding.ids.length;
  const wordOfToken = new Int32Array(n).fill(-1);
  /** @type {ExplainWord[]} */
  const words = [];
  /** @type {Map<string, number>} */
  const index = new Map();
  for (let t = 0; t < n; t++) {
    const word = encoding.word_ids[t];
    const sequence = encoding.sequence_ids[t];
    if (word < 0 || sequence < 0) continue;
    const key = `${sequence}:${word}`;
    let w = index.get(key);
    const start = encoding.offsets[2 * t];
    const end = encoding.offsets[2 * t + 1];
    if (w === undefined) {
      w = words.length;
      index.set(key, w);
      words.push({ word: '', start, end, sequence, tokens: [] });
    }
    const entry = words[w];
    entry.start = Math.min(entry.start, start);
    entry.end = Math.max(entry.end, end);
    entry.tokens.push(t);
    wordOfToken[t] = w;
  }
  for (const w of words) w.word = (texts[w.sequence] ?? '').slice(w.start, w.end);
  return { wordOfToken, words };
}
