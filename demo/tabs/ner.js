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
  });
}
