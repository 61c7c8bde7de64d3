// Search tab: semantic search over a small corpus typed in the page. The query and the documents are
// embedded in one pass (feature-extraction: a sentence-transformers model's own modules, or mean
// pooling), then ranked by cosine similarity (semanticSearch, sentence-transformers' util rule).

import { semanticSearch } from '/js/similarity.js';
import { bar, el } from '../ui.js';
import { MAX_CHARS, checkText, makeTab, textArea } from './common.js';

const CORPUS = ['A man is eating food.', 'A man is riding a horse.', 'A woman is playing the violin.',
  'Two men pushed carts through the woods.', 'The stock market fell sharply today.', 'A cheetah chases its prey across a field.',
  'The new film was praised by the critics.', 'It rained all day in the city.'];
const QUERY = 'Someone is playing music.';

/** @param {string} s */
const lines = (s) => s.split('\n').map((x) => x.trim()).filter(Boolean);

/** Rows of a [n, d] {data, dims} tensor. @param {any} t */
function rows(t) {
  const [n, d] = t.dims;
  return Array.from({ length: n }, (_, i) => Array.from(t.data.slice(i * d, (i + 1) * d)));
}

/**
 * @param {any} result the embeddings of [query, ...documents]
 * @param {string[]} input [query, ...documents]
 * @param {number} topK
 */
export function renderSearch(result, input, topK) {
  if (!result?.dims || result.dims.length !== 2) {
    return { node: el('p', { class: 'empty' }, 'The model returned token embeddings; choose a pooling.'), warning: 'No sentence embeddings.' };
  }
  const [query, ...docs] = rows(result);
  const hits = semanticSearch([query], docs, { top_k: Math.min(topK, docs.length) })[0];
  return {
    node: el('div', { class: 'search', 'data-result': 'search' },
      el('p', { class: 'headline' }, 'Best match: ', el('q', {}, input[1 + hits[0].corpus_id]), ` (cosine ${hits[0].score.toFixed(3)})`),
      el('ol', { class: 'hits' }, ...hits.map((h) => el('li', { 'data-corpus-id': String(h.corpus_id), 'data-score': h.score.toFixed(6) },
        bar(input[1 + h.corpus_id], Math.max(0, h.score), 'hit', 1, h.score.toFixed(3))))),
      el('p', { class: 'hint' }, `Cosine similarity of the query's embedding to each of the ${docs.length} documents' (bars from 0 to 1).`)),
    hits,
  };
}

/** @param {any} ctx */
export function createSearchTab(ctx) {
  const query = /** @type {HTMLInputElement} */ (el('input', { type: 'text', name: 'query', value: QUERY, spellcheck: 'false' }));
  const corpus = textArea('Documents (one per line, 2–50)', 'corpus', CORPUS.join('\n'), 8);
  const pooling = /** @type {HTMLSelectElement} */ (el('select', { name: 'pooling' },
    el('option', { value: 'auto' }, 'the model\'s own (sentence-transformers files), else mean'),
    el('option', { value: 'mean' }, 'mean of the token embeddings'), el('option', { value: 'cls' }, 'the [CLS] token')));
  const topK = /** @type {HTMLInputElement} */ (el('input', { type: 'number', name: 'top_k', value: '5', min: '1', max: '50', style: 'width:88px' }));
  const models = /** @type {any[]} */ (ctx.catalog.models);
  const tab = makeTab(ctx, {
    id: 'search', label: 'Search', task: 'feature-extraction', modelTask: 'sentence-similarity',
    defaultModel: models.find((m) => m.sentence_transformers)?.name ?? 'bert-mini-mlm',
    intro: 'Semantic search: embeds the query and the documents, then ranks the documents by cosine similarity to the query.',
    fields: () => [el('label', { class: 'field' }, el('span', {}, 'Query'), query), corpus.field,
      el('div', { class: 'field-row' }, el('label', { class: 'field' }, el('span', {}, 'Pooling'), pooling),
        el('label', { class: 'field inline' }, el('span', {}, 'Results'), topK))],
    input: () => [query.value.trim(), ...lines(corpus.area.value)],
    validate: (input) => {
      if (!input[0]) return 'Please enter a query.';
      if (input.length < 3) return 'Please enter at least two documents, one per line.';
      if (input.length > 51) return `Please enter at most 50 documents (got ${input.length - 1}).`;
      const k = Number(topK.value);
      if (!Number.isInteger(k) || k < 1) return 'The number of results must be a whole number of at least 1.';
      return checkText(input.join('\n').slice(0, MAX_CHARS + 1), 'documents');
    },
    options: () => {
      if (pooling.value !== 'auto') return { pooling: pooling.value, normalize: true };
      const own = models.find((m) => m.url === tab.source())?.sentence_transformers;
      return own ? {} : { pooling: 'mean', normalize: true };
    },
    render: (result, input) => {
      const r = renderSearch(result, input, Number(topK.value));
      tab.hits = r.hits ?? null;
      return r;
    },
  });
  /** @type {{corpus_id: number, score: number}[] | null} the last ranking (tests read it) */
  tab.hits = null;
  return tab;
}
