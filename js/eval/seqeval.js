// Entity-level precision / recall / F1 over IOB2 tags, as seqeval computes them by default
// (non-strict: an I- tag after O, or after a different type, starts a new entity).

/** @typedef {{type: string, start: number, end: number}} Entity  end inclusive, like seqeval */

/**
 * @param {string} tag
 * @returns {[string, string]} [prefix, type]; 'O' → ['O', '_']
 */
function split(tag) {
  const rest = tag.slice(1);
  const dash = rest.indexOf('-');
  return [tag[0], (dash >= 0 ? rest.slice(dash + 1) : rest) || '_'];
}

/**
 * @param {string} p previous prefix
 * @param {string} t prefix
 * @param {string} pt previous type
 * @param {string} tt type
 */
function endOfChunk(p, t, pt, tt) {
  if (p === 'E' || p === 'S') return true;
  if ((p === 'B' || p === 'I') && (t === 'B' || t === 'S' || t === 'O')) return true;
  return p !== 'O' && p !== '.' && pt !== tt;
}

/**
 * @param {string} p previous prefix
 * @param {string} t prefix
 * @param {string} pt previous type
 * @param {string} tt type
 */
function startOfChunk(p, t, pt, tt) {
  if (t === 'B' || t === 'S') return true;
  if ((p === 'E' || p === 'S' || p === 'O') && (t === 'E' || t === 'I')) return true;
  return t !== 'O' && t !== '.' && pt !== tt;
}

/**
 * The entities of one tag sequence (seqeval's `get_entities`, default mode).
 * @param {string[]} tags
 * @returns {Entity[]}
 */
export function entities(tags) {
  /** @type {Entity[]} */
  const out = [];
  let [prevTag, prevType] = ['O', ''];
  let begin = 0;
  [...tags, 'O'].forEach((tag, i) => {
    const [t, tt] = split(tag);
    if (endOfChunk(prevTag, t, prevType, tt)) out.push({ type: prevType, start: begin, end: i - 1 });
    if (startOfChunk(prevTag, t, prevType, tt)) begin = i;
    [prevTag, prevType] = [t, tt];
  });
  return out;
}

/**
 * Micro-averaged entity scores over sentences.
 * @param {string[][]} gold
 * @param {string[][]} predicted
 * @returns {{precision: number, recall: number, f1: number, correct: number, goldCount: number, predictedCount: number}}
 */
export function entityScores(gold, predicted) {
  if (gold.length !== predicted.length) throw new Error(`seqeval: ${gold.length} gold vs ${predicted.length} predicted sentences`);
  let correct = 0;
  let goldCount = 0;
  let predictedCount = 0;
  gold.forEach((g, s) => {
    const key = (/** @type {Entity} */ e) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const goldSet = new Set(entities(g).map(key));
    const predSet = new Set(entities(predicted[s]).map(key));
    goldCount += goldSet.size;
    predictedCount += predSet.size;
    for (const k of predSet) if (goldSet.has(k)) correct++;
  });
  const precision = predictedCount ? correct / predictedCount : 0;
  const recall = goldCount ? correct / goldCount : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, correct, goldCount, predictedCount };
}
