// Sentiment tab: text classification, one bar per label.

import { bar, el } from '../ui.js';
import { checkText, makeTab, textArea } from './common.js';

/** @param {any} result [{label, score}] (or [[...]] for a batch of one) */
export function renderSentiment(result) {
  const rows = (Array.isArray(result?.[0]) ? result[0] : Array.isArray(result) ? result : [result])
    .slice().sort((a, b) => b.score - a.score);
  const top = rows[0];
  return {
    node: el('div', { class: 'sentiment', 'data-result': 'sentiment' },
      el('p', { class: 'headline' }, el('span', { class: `label-pill label-${String(top.label).toLowerCase()}` }, top.label),
        ` with ${(top.score * 100).toFixed(1)}% probability`),
      el('div', { class: 'bars' }, ...rows.map((r) => bar(r.label, r.score, `label-${String(r.label).toLowerCase()}`)))),
  };
}

/** @param {any} ctx */
export function createSentimentTab(ctx) {
  const { field, area } = textArea('Text', 'text', 'a gorgeous, witty, seductive movie.', 3);
  return makeTab(ctx, {
    id: 'sentiment', label: 'Sentiment', task: 'sentiment-analysis', modelTask: 'sentiment-analysis', defaultModel: 'bert-mini-sst2',
    intro: 'Classifies the sentiment of a text (SST-2: positive or negative).',
    fields: () => [field],
    input: () => area.value,
    validate: (text) => checkText(text),
    options: () => ({ top_k: null }),
    render: (result) => renderSentiment(result),
  });
}
