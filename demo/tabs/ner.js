// NER tab: entities highlighted in the text, with the aggregation strategy as a choice.

import { el, pct } from '../ui.js';
import { checkText, makeTab, textArea } from './common.js';

export const STRATEGIES = ['simple', 'first', 'average', 'max', 'none'];

/** @param {any} e an entity (aggregated: entity_group; none: entity) */
const typeOf = (e) => String(e.entity_group ?? e.entity ?? '').replace(/^[BIES]-/, '');

/** @param {any[]} entities @param {string} text */
export function renderNer(entities, text) {
  const list = (Array.isArray(entities?.[0]) ? entities[0] : entities ?? []).slice().sort((a, b) => a.start - b.start);
  const marked = [];
  let at = 0;
  for (const e of list) {
    if (!(e.start >= at && e.end > e.start)) continue;
    if (e.start > at) marked.push(text.slice(at, e.start));
    const type = typeOf(e);
    marked.push(el('mark', { class: `ent ent-${type.toLowerCase()}`, title: `${e.entity_group ?? e.entity} ${pct(e.score)}`, 'data-start': e.start, 'data-end': e.end },
      text.slice(e.start, e.end), el('span', { class: 'ent-tag' }, type)));
    at = e.end;
  }
  marked.push(text.slice(at));
  const table = el('table', { class: 'entities' },
    el('thead', {}, el('tr', {}, ...['Entity', 'Type', 'Score', 'Span'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, ...list.map((e) => el('tr', {},
      el('td', {}, e.word), el('td', {}, e.entity_group ?? e.entity), el('td', { class: 'num' }, e.score.toFixed(4)),
      el('td', { class: 'num' }, `${e.start}–${e.end}`)))));
  return {
    node: el('div', { class: 'ner', 'data-result': 'ner' },
      el('p', { class: 'ner-text' }, ...marked),
      list.length ? table : el('p', { class: 'empty' }, 'No entities found.')),
  };
}

/**
 * What the Explain panel offers: the label of the first token of each entity found (the default:
 * the first), or of any other word. Token indices come from the run's encoding (the same
 * tokenization the explanation makes).
 * @param {any} run @param {string} text
 */
export function nerTargets(run, text) {
  const att = run.attention;
  /** @type {{token: number, start: number, end: number}[]} */
  const words = [];
  for (let t = 0; t < (att?.seq ?? 0); t++) {
    const w = att.wordIds[t];
    if (att.sequenceIds[t] !== 0 || w < 0) continue;
    words[w] ??= { token: t, start: att.offsets[2 * t], end: att.offsets[2 * t + 1] };
    words[w].end = Math.max(words[w].end, att.offsets[2 * t + 1]);
  }
  const list = (Array.isArray(run.result?.[0]) ? run.result[0] : run.result ?? []).slice().sort((/** @type {any} */ a, /** @type {any} */ b) => a.start - b.start);
  const used = new Set();
  const entities = [];
  for (const e of list) {
    const w = words.find((x) => x && x.start >= e.start && x.start < e.end);
    if (!w || used.has(w.token)) continue;
    used.add(w.token);
    entities.push({ value: String(w.token), text: `${text.slice(e.start, e.end)} · ${e.entity_group ?? e.entity}`, request: { token: w.token } });
  }
  const others = words.filter((w) => w && !used.has(w.token))
    .map((w) => ({ value: String(w.token), text: text.slice(w.start, w.end), request: { token: w.token } }));
  return {
    label: 'Explain the label of', value: (entities[0] ?? others[0])?.value,
    groups: [{ label: 'Entities', options: entities }, { label: entities.length ? 'Other words' : 'Words', options: others }],
  };
}

/** @param {any} ctx */
export function createNerTab(ctx) {
  const { field, area } = textArea('Text', 'text', 'George Washington met officials of the United Nations in Paris and flew back to New York.', 3);
  const strategy = /** @type {HTMLSelectElement} */ (el('select', { name: 'aggregation_strategy' }, ...STRATEGIES.map((s) => el('option', { value: s }, s))));
  return makeTab(ctx, {
    id: 'ner', label: 'NER', task: 'ner', modelTask: 'ner', defaultModel: 'bert-mini-conll03',
    intro: 'Finds people, organisations, locations and miscellaneous names (CoNLL-03).',
    fields: () => [field, el('div', { class: 'field-row' }, el('label', { class: 'field inline' }, el('span', {}, 'Aggregation strategy'), strategy))],
    input: () => area.value,
    validate: (text) => checkText(text),
    options: () => ({ aggregation_strategy: strategy.value }),
    render: (result, text) => renderNer(result, text),
    explain: { texts: (text) => ({ texts: [text], names: [] }), targets: nerTargets },
  });
}
