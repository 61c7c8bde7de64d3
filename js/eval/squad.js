// SQuAD v1.1: reading the official dev file, the official evaluator's scoring (normalization, exact
// match, token F1, max over gold answers, mean × 100), and evaluating a question-answering pipeline.

/**
 * @typedef {object} SquadQuestion
 * @property {string} id
 * @property {string} question
 * @property {string} context
 * @property {string[]} answers gold answer texts
 */

/**
 * Parses an "A:B" article range (Python slice rules: either side may be empty, negatives count from
 * the end) or a single index "A".
 * @param {string | undefined} spec
 * @param {number} count number of articles
 * @returns {[number, number]}
 */
export function articleRange(spec, count) {
  if (spec === undefined || spec === '') return [0, count];
  const m = /^\s*(-?\d+)?\s*(:)?\s*(-?\d+)?\s*$/.exec(spec);
  if (!m || (m[1] === undefined && m[3] === undefined && !m[2])) throw new Error(`invalid article range "${spec}" (expected e.g. 40: or 0:40)`);
  const clamp = (/** @type {number} */ v) => Math.min(count, Math.max(0, v < 0 ? count + v : v));
  const a = m[1] === undefined ? 0 : clamp(Number(m[1]));
  if (!m[2]) return [a, Math.min(count, a + 1)];
  const b = m[3] === undefined ? count : clamp(Number(m[3]));
  return [a, Math.max(a, b)];
}

/**
 * The questions of a SQuAD v1.1 file (parsed JSON), articles `range` only.
 * @param {any} dataset the file's JSON
 * @param {string} [range] e.g. "40:"
 * @returns {SquadQuestion[]}
 */
export function squadQuestions(dataset, range) {
  const articles = dataset?.data;
  if (!Array.isArray(articles)) throw new Error('not a SQuAD file: "data" must be a list of articles');
  const [from, to] = articleRange(range, articles.length);
  /** @type {SquadQuestion[]} */
  const out = [];
  for (const article of articles.slice(from, to)) {
    for (const p of article.paragraphs) {
      for (const qa of p.qas) {
        out.push({ id: qa.id, question: qa.question, context: p.context, answers: qa.answers.map((/** @type {any} */ a) => a.text) });
      }
    }
  }
  return out;
}

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
// Python's re \b is Unicode-aware: a word character is a letter, a number or "_".
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;
// str.split()'s whitespace (str.isspace): JS \s minus U+FEFF, plus U+001C..U+001F and U+0085.
const SPACE = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** @param {string} s */
function split(s) {
  return s.split(SPACE).filter((w) => w.length > 0);
}

/**
 * The official normalization: lower-case, drop ASCII punctuation, drop the words a/an/the,
 * collapse whitespace.
 * @param {string} s
 * @returns {string}
 */
export function normalizeAnswer(s) {
  let t = '';
  for (const ch of s.toLowerCase()) if (!PUNCTUATION.has(ch)) t += ch;
  return split(t.replace(ARTICLES, ' ')).join(' ');
}

/**
 * @param {string} prediction
 * @param {string} truth
 * @returns {number} 0 or 1
 */
export function exactMatch(prediction, truth) {
  return normalizeAnswer(prediction) === normalizeAnswer(truth) ? 1 : 0;
}

/**
 * Token F1 with multiset overlap.
 * @param {string} prediction
 * @param {string} truth
 * @returns {number}
 */
export function f1Score(prediction, truth) {
  const p = split(normalizeAnswer(prediction));
  const g = split(normalizeAnswer(truth));
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const w of g) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of p) {
    const c = counts.get(w) ?? 0;
    if (c > 0) { same++; counts.set(w, c - 1); }
  }
  if (same === 0) return 0;
  const precision = same / p.length;
  const recall = same / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/**
 * Scores predictions (question id → answer text) against the questions' gold answers.
 * Unanswered questions count as 0, like the official script.
 * @param {SquadQuestion[]} questions
 * @param {Record<string, string>} predictions
 * @returns {{exact_match: number, f1: number, total: number}}
 */
export function scoreSquad(questions, predictions) {
  let em = 0;
  let f1 = 0;
  for (const q of questions) {
    const pred = predictions[q.id];
    if (pred === undefined) continue;
    em += Math.max(...q.answers.map((a) => exactMatch(pred, a)));
    f1 += Math.max(...q.answers.map((a) => f1Score(pred, a)));
  }
  const total = questions.length;
  return { exact_match: total ? (100 * em) / total : 0, f1: total ? (100 * f1) / total : 0, total };
}

/**
 * @typedef {object} SquadEvalOptions
 * @property {number} [max_seq_len] default 256
 * @property {number} [doc_stride] default 64
 * @property {number} [max_answer_len] default 15
 * @property {boolean[]} [align_to_words] decode once per setting from the same forward passes (default [true])
 * @property {number} [batch_size] windows per forward pass (default 32)
 * @property {number} [chunk] questions per progress step (default 100)
 * @property {(done: number, total: number) => void} [onProgress]
 */

/**
 * @typedef {{answer: string, score: number, start: number, end: number}} SquadPrediction
 */

/**
 * Runs a question-answering pipeline over the questions and scores it, for each align_to_words
 * setting (the model runs once; only the decoding differs).
 * @param {import('../pipelines/question-answering.js').QuestionAnsweringPipeline} qa
 * @param {SquadQuestion[]} questions
 * @param {SquadEvalOptions} [options]
 * @returns {Promise<{align_to_words: boolean, exact_match: number, f1: number, total: number,
 *   predictions: Record<string, SquadPrediction>}[]>}
 */
export async function evaluateSquad(qa, questions, options = {}) {
  const { max_seq_len = 256, doc_stride = 64, max_answer_len = 15, align_to_words = [true], batch_size = 32,
    chunk = 100, onProgress } = options;
  const settings = qa.settings({ max_seq_len, doc_stride, max_answer_len });
  /** @type {Record<string, SquadPrediction>[]} */
  const predictions = align_to_words.map(() => ({}));
  for (let start = 0; start < questions.length; start += chunk) {
    const part = questions.slice(start, start + chunk);
    // a bulk evaluation: no per-call window bound (limits.max_windows guards interactive calls)
    const { logits } = await qa.logits(part, settings, { batch_size, max_windows: Number.MAX_SAFE_INTEGER });
    part.forEach((q, i) => {
      align_to_words.forEach((align, k) => {
        predictions[k][q.id] = /** @type {SquadPrediction} */ (qa.decode(q.context, logits[i], { ...settings, align_to_words: align }));
      });
    });
    onProgress?.(Math.min(questions.length, start + chunk), questions.length);
  }
  return align_to_words.map((align, k) => {
    const texts = Object.fromEntries(Object.entries(predictions[k]).map(([id, p]) => [id, p.answer]));
    return { align_to_words: align, ...scoreSquad(questions, texts), predictions: predictions[k] };
  });
}
