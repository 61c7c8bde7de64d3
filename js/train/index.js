// Fine-tuning: Trainer (js/train/trainer.js), data readers, metrics.

export { Trainer } from './trainer.js';
export { parseDelimited, parseSst2Tsv, parseConllExamples, parseExamples, splitDelimited } from './data.js';
export { accuracy, macroF1, entityF1 } from './metrics.js';

/**
 * The label names of a dataset, for Trainer.create's `labels`: token tags (sorted, 'O' first), or
 * classification labels (names sorted; integer labels 0..k-1 → `names` if given, else "0".."k-1").
 * @param {(import('./data.js').TextExample | import('./data.js').TokenExample)[]} examples
 * @param {{names?: string[]}} [options]
 * @returns {string[]}
 */
export function labelsOf(examples, { names } = {}) {
  const first = examples[0];
  if (first && 'tags' in first) {
    const tags = new Set(/** @type {import('./data.js').TokenExample[]} */ (examples).flatMap((e) => e.tags));
    return [...tags].sort((a, b) => (a === 'O' ? -1 : b === 'O' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  }
  const labels = /** @type {import('./data.js').TextExample[]} */ (examples).map((e) => e.label);
  if (labels.every((l) => typeof l === 'number')) {
    const k = Math.max(-1, .../** @type {number[]} */ (labels)) + 1;
    if (names) return names.slice(0, Math.max(k, names.length));
    return Array.from({ length: k }, (_, i) => String(i));
  }
  return [...new Set(labels.map(String))].sort();
}
