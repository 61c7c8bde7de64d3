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

/** What the Explain panel offers: each label, the predicted one first (sent as the engine's default). */
export const sentimentExplain = {
  texts: (/** @type {string} */ text) => ({ texts: [text], names: [] }),
  targets: (/** @type {any} */ run) => {
    const rows = Array.isArray(run.result?.[0]) ? run.result[0] : Array.isArray(run.result) ? run.result : [run.result];
    const top = rows.slice().sort((a, b) => b.score - a.score)[0]?.label;
    const labels = Object.values(run.info?.id2label ?? {}).map(String);
    const ordered = [top, ...labels.filter((l) => l !== top)].filter((l) => l !== undefined);
    return {
      label: 'Explain the score of', value: top,
      groups: [{ options: ordered.map((l) => ({ value: l, text: l === top ? `${l} (predicted)` : l, request: l === top ? {} : { target: l } })) }],
    };
  },
};

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
    explain: sentimentExplain,
  });
}
