// Metrics of a trained classifier: accuracy and macro-F1 (as scikit-learn's f1_score(average='macro'):
// the mean over labels that occur in the gold or predicted labels), and entity-level F1 for token
// classification (seqeval's default mode, js/eval/seqeval.js).

import { entityScores } from '../eval/seqeval.js';

/**
 * @param {ArrayLike<number>} gold
 * @param {ArrayLike<number>} predicted
 * @returns {number}
 */
export function accuracy(gold, predicted) {
  let ok = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) ok++;
  return gold.length ? ok / gold.length : 0;
}

/**
 * Per-label precision/recall/F1 and their unweighted mean over the labels present in gold or predictions.
 * @param {ArrayLike<number>} gold
 * @param {ArrayLike<number>} predicted
 * @param {number} numLabels
 * @returns {{macro_f1: number, per_label: {precision: number, recall: number, f1: number, support: number}[]}}
 */
export function macroF1(gold, predicted, numLabels) {
  const tp = new Array(numLabels).fill(0);
  const goldN = new Array(numLabels).fill(0);
  const predN = new Array(numLabels).fill(0);
  for (let i = 0; i < gold.length; i++) {
    goldN[gold[i]]++;
    predN[predicted[i]]++;
    if (gold[i] === predicted[i]) tp[gold[i]]++;
  }
  const per_label = tp.map((t, k) => {
    const precision = predN[k] ? t / predN[k] : 0;
    const recall = goldN[k] ? t / goldN[k] : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support: goldN[k] };
  });
  const present = per_label.filter((_, k) => goldN[k] > 0 || predN[k] > 0);
  return { macro_f1: present.length ? present.reduce((a, p) => a + p.f1, 0) / present.length : 0, per_label };
}

/**
 * Entity-level micro precision / recall / F1 over IOB2 tag sequences (seqeval default).
 * @param {string[][]} gold
 * @param {string[][]} predicted
 */
export function entityF1(gold, predicted) {
  return entityScores(gold, predicted);
}
