// Zero-shot tab: an NLI model scores candidate labels it was never trained on (each label becomes
// the hypothesis "This example is {label}."); one bar per label, best first.

import { bar, el } from '../ui.js';
import { checkText, makeTab, textArea } from './common.js';

const TEXT = 'The new phone has a brilliant camera, but the battery is empty by noon.';
const LABELS = 'technology, sports, cooking, politics, complaint';
const TEMPLATE = 'This example is {}.';

/** Hugging Face's label parsing: comma-separated, trimmed, empty parts dropped. @param {string} s */
export const parseLabels = (s) => s.split(',').map((l) => l.trim()).filter(Boolean);

/** @param {any} result {sequence, labels, scores} @param {{multi_label: boolean}} input */
export function renderZeroShot(result, input) {
  const rows = result.labels.map((/** @type {string} */ label, /** @type {number} */ i) => ({ label, score: result.scores[i] }));
  const top = rows[0];
  return {
    node: el('div', { class: 'zero-shot', 'data-result': 'zero-shot' },
      el('p', { class: 'headline' }, el('span', { class: 'label-pill' }, top.label),
        input.multi_label ? ` entailed with probability ${(top.score * 100).toFixed(1)}%` : ` with ${(top.score * 100).toFixed(1)}% of the probability`),
      el('div', { class: 'bars' }, ...rows.map((r) => bar(r.label, r.score))),
      el('p', { class: 'hint' }, input.multi_label
        ? 'Multi-label: each label is judged on its own (entailment vs contradiction), so the scores need not sum to 1.'
        : 'Single-label: the entailment scores are softmaxed over the labels (they sum to 1).')),
  };
}

/** @param {any} ctx */
export function createZeroShotTab(ctx) {
  const text = textArea('Text', 'text', TEXT, 3);
  const labels = /** @type {HTMLInputElement} */ (el('input', { type: 'text', name: 'labels', value: LABELS, spellcheck: 'false' }));
  const template = /** @type {HTMLInputElement} */ (el('input', { type: 'text', name: 'template', value: TEMPLATE, spellcheck: 'false' }));
  const multi = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', name: 'multi_label' }));
  const hasNli = ctx.catalog.models.some((/** @type {any} */ m) => m.task === 'zero-shot-classification');
  const tab = makeTab(ctx, {
    id: 'zero-shot', label: 'Zero-shot', task: 'zero-shot-classification', modelTask: 'zero-shot-classification',
    intro: 'Classifies a text into labels you choose, with a model trained on natural language inference (entailment): '
      + 'every label becomes a hypothesis, all of them scored in batched passes.',
    fields: () => [text.field,
      el('label', { class: 'field' }, el('span', {}, 'Candidate labels (comma-separated)'), labels),
      el('label', { class: 'field' }, el('span', {}, 'Hypothesis template ({} is the label)'), template),
      el('label', { class: 'check' }, multi, ' Several labels can be true (multi_label)'),
      hasNli ? null : el('p', { class: 'hint' }, 'No NLI model among the local models: choose "Hugging Face id or URL…" and type an NLI '
        + 'model (a sequence classifier fine-tuned on MNLI whose labels include "entailment").')],
    input: () => ({ text: text.area.value, labels: parseLabels(labels.value), hypothesis_template: template.value, multi_label: multi.checked }),
    validate: (input) => {
      if (input.labels.length === 0) return 'Please enter at least one candidate label.';
      if (input.labels.length > 50) return `Please enter at most 50 labels (got ${input.labels.length}).`;
      if (!input.hypothesis_template.includes('{}')) return 'The hypothesis template needs {} where the label goes, e.g. "This example is {}."';
      return checkText(input.text);
    },
    options: () => ({ hypothesis_template: template.value, multi_label: multi.checked }),
    render: (result, input) => renderZeroShot(result, input),
  });
  return tab;
}
