// Fill-mask tab: the top-k tokens for [MASK], with their probabilities.

import { bar, el } from '../ui.js';
import { checkText, makeTab, textArea } from './common.js';

const MASK = /\[MASK\]|<mask>/;

/** @param {any} result [{score, token, token_str, sequence}] (or one list per mask) */
export function renderFillMask(result) {
  const groups = Array.isArray(result?.[0]) ? result : [result];
  const group = (/** @type {any[]} */ rows, /** @type {number} */ g) => el('div', { class: 'mask-group' },
    groups.length > 1 ? el('h3', {}, `Mask ${g + 1}`) : null,
    el('ol', { class: 'candidates' }, ...rows.map((r) => el('li', {},
      bar(String(r.token_str).trim(), r.score, '', 1 / Math.max(1e-9, rows[0]?.score ?? 1)),
      el('p', { class: 'sequence' }, r.sequence)))));
  return {
    node: el('div', { class: 'fill-mask', 'data-result': 'fill-mask' }, ...groups.map(group),
      el('p', { class: 'hint' }, 'Bar lengths are relative to the top candidate; the numbers are probabilities.')),
  };
}

/** @param {any} ctx */
export function createFillMaskTab(ctx) {
  const { field, area } = textArea('Text with [MASK]', 'text', 'The man went to the [MASK] to buy some milk.', 3);
  const topK = /** @type {HTMLSelectElement} */ (el('select', { name: 'top_k' }, ...[3, 5, 10].map((k) => el('option', { value: String(k) }, String(k)))));
  topK.value = '5';
  return makeTab(ctx, {
    id: 'fill-mask', label: 'Fill-mask', task: 'fill-mask', modelTask: 'fill-mask', defaultModel: 'bert-mini-mlm',
    intro: 'Predicts the word hidden behind [MASK] (a model pretrained on ~10M tokens: common words, not facts).',
    fields: () => [field, el('div', { class: 'field-row' }, el('label', { class: 'field inline' }, el('span', {}, 'Top k'), topK))],
    input: () => area.value,
    validate: (text) => checkText(text) ?? (MASK.test(text) ? null
      : 'Fill-mask needs a [MASK] token in the text, e.g. "The man went to the [MASK] to buy some milk."'),
    options: () => ({ top_k: Number(topK.value) }),
    render: (result) => renderFillMask(result),
  });
}
