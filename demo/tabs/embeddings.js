// Embeddings tab: mean-pooled, normalised sentence embeddings and their cosine similarity matrix.

import { el } from '../ui.js';
import { heatCss, inkOn } from '../views/colors.js';
import { MAX_CHARS, checkText, makeTab, textArea } from './common.js';

const SENTENCES = ['A man is playing a guitar.', 'Someone plays an instrument on stage.',
  'The stock market fell sharply today.', 'Shares dropped at the close of trading.', 'A cat sleeps on the sofa.'];

/** @param {string} s */
const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);

/** Rows of an embeddings result: a {data, dims} tensor or nested arrays. @param {any} result */
export function embeddingRows(result) {
  if (result?.data && result?.dims) {
    const [n, d] = result.dims;
    return Array.from({ length: n }, (_, i) => Array.from(result.data.slice(i * d, (i + 1) * d)));
  }
  return result;
}

/** @param {number[][]} rows */
export function cosineMatrix(rows) {
  const norm = rows.map((r) => Math.sqrt(r.reduce((s, x) => s + x * x, 0)) || 1);
  return rows.map((a, i) => rows.map((b, j) => a.reduce((s, x, k) => s + x * b[k], 0) / (norm[i] * norm[j])));
}

/**
 * @param {any} result @param {string[]} texts
 * @param {(row: number) => void} [showAttention] switches the attention panel to sentence `row`
 */
export function renderEmbeddings(result, texts, showAttention) {
  const sim = cosineMatrix(embeddingRows(result));
  const n = sim.length;
  const grid = el('table', { class: 'sim', 'data-result': 'embeddings', 'aria-label': 'Cosine similarity matrix' },
    el('thead', {}, el('tr', {}, el('th', {}), ...texts.map((_, j) => el('th', { scope: 'col', title: texts[j] }, `S${j + 1}`)))),
    el('tbody', {}, ...sim.map((row, i) => el('tr', {}, el('th', { scope: 'row', title: texts[i] }, `S${i + 1}`),
      ...row.map((v) => {
        const t = Math.max(0, Math.min(1, (v - 0.5) / 0.5));
        return el('td', { style: `background:${heatCss(t)};color:${inkOn(t)}`, 'data-value': v.toFixed(6) }, v.toFixed(2));
      })))));
  const legend = el('ol', { class: 'sentences' }, ...texts.map((t, i) => el('li', {}, el('b', {}, `S${i + 1}`), ` ${t}`)));
  const picker = showAttention ? el('label', { class: 'field inline' }, el('span', {}, 'Attention of'),
    el('select', { name: 'attention-row', onchange: (/** @type {Event} */ e) => showAttention(Number(/** @type {HTMLSelectElement} */ (e.target).value)) },
      ...texts.map((_, i) => el('option', { value: String(i) }, `S${i + 1}`)))) : null;
  return { node: el('div', { class: 'embeddings' }, el('div', { class: 'sim-wrap' }, grid, el('div', { class: 'sim-side' }, legend, picker)),
    el('p', { class: 'hint' }, `Cosine similarity of mean-pooled, normalised embeddings (${n} sentences; colour from 0.5 to 1).`)) };
}

/** @param {any} ctx */
export function createEmbeddingsTab(ctx) {
  const { field, area } = textArea('Sentences (one per line, 2–8)', 'sentences', SENTENCES.join('\n'), 6);
  return makeTab(ctx, {
    id: 'embeddings', label: 'Embeddings', task: 'feature-extraction', modelTask: 'fill-mask', defaultModel: 'bert-mini-mlm',
    intro: 'Embeds each sentence (mean of the last hidden states) and compares them; the attention of each sentence is below.',
    fields: () => [field],
    input: () => lines(area.value),
    validate: (texts) => {
      if (texts.length < 2) return 'Please enter at least two sentences, one per line.';
      if (texts.length > 8) return `Please enter at most 8 sentences (got ${texts.length}).`;
      return checkText(texts.join('\n').slice(0, MAX_CHARS + 1), 'sentences');
    },
    options: () => ({ pooling: 'mean', normalize: true }),
    render: (result, texts, run) => renderEmbeddings(result, texts,
      (row) => ctx.showAttention(run.attentions?.[row] ?? null)),
  });
}
