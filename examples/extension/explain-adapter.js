// Explanations → the tooltip's "words that weighed most": the package's explain() (js/explain/,
// engine src/explain) with integrated gradients on the predicted label's probability. Imported by
// engine-worker.js on the first explanation; if it fails, the tooltip shows label and score only.

import { explain } from './lib/bertology/js/explain/index.js';

const OPTIONS = { method: 'integrated_gradients', steps: 16, output: 'probability' };

/**
 * @param {any} model a BertologyModel
 * @param {string} text
 * @param {string} label the predicted label, explained
 * @param {number} k how many words at most
 * @returns {Promise<{word: string, weight: number}[]>} words that pushed towards `label`, strongest first
 */
export async function explainTopWords(model, text, label, k) {
  const result = await explain(model, 'text-classification', text, { ...OPTIONS, target: label });
  const words = /** @type {{word: string, attribution: number}[]} */ (result.words);
  return words
    .filter((w) => w.attribution > 0 && /[\p{L}\p{N}]/u.test(w.word)) // towards the label; not punctuation
    .sort((a, b) => b.attribution - a.attribution)
    .slice(0, k)
    .map((w) => ({ word: w.word, weight: w.attribution }));
}
