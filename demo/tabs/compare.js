// Compare mode: the same text through two models side by side — each model's own task result and
// its attention (head view, model view, rollout), from one forward pass per model.

import { el, message, modelName, resultMeta } from '../ui.js';
import { AttentionPanel } from '../views/attention-panel.js';
import { checkText, describeError, textArea } from './common.js';
import { renderSentiment } from './sentiment.js';
import { renderFillMask } from './fill-mask.js';
import { renderNer } from './ner.js';

const MASK = /\[MASK\]|<mask>/;

/**
 * The task a model runs on a plain text in Compare mode.
 * @param {string} catalogTask @param {string} text
 */
export function compareTask(catalogTask, text) {
  if (catalogTask === 'sentiment-analysis' || catalogTask === 'ner') return catalogTask;
  if (catalogTask === 'fill-mask' && MASK.test(text)) return 'fill-mask';
  return 'feature-extraction';
}

/** @param {string} task @param {any} result @param {string} text */
function summary(task, result, text) {
  if (task === 'sentiment-analysis') return renderSentiment(result).node;
  if (task === 'fill-mask') return renderFillMask(result).node;
  if (task === 'ner') return renderNer(result, text).node;
  return el('p', { class: 'hint' }, 'Encoder only on this text (no [MASK] to fill and no task head to apply): attention below.');
}

/** @param {any} ctx */
export function createCompareTab(ctx) {
  const models = /** @type {{name: string, url: string, task: string}[]} */ (ctx.catalog.models);
  const pick = (/** @type {string} */ name, /** @type {string} */ label) => {
    const s = /** @type {HTMLSelectElement} */ (el('select', { name: label }, ...models.map((m) => el('option', { value: m.url }, m.name))));
    const m = models.find((x) => x.name === name) ?? models[0];
    if (m) s.value = m.url;
    return s;
  };
  const left = pick('bert-mini-sst2', 'model-a');
  const right = pick('bert-mini-mlm', 'model-b');
  const { field, area } = textArea('Text', 'text', 'The film was a delight from start to finish.', 2);
  const button = /** @type {HTMLButtonElement} */ (el('button', { type: 'submit', class: 'btn-primary', 'data-action': 'run' },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', {}, 'Run both')));
  const msgBox = el('div', { class: 'messages', 'aria-live': 'polite' });
  const sides = [0, 1].map((k) => {
    const panel = new AttentionPanel(`compare-attention-${k}`, { title: `Model ${k ? 'B' : 'A'}` });
    const result = el('div', { class: 'results', 'data-role': `results-${k}` });
    panel.root.insertBefore(result, panel.empty);
    return { panel, result };
  });
  const form = /** @type {HTMLFormElement} */ (el('form', { class: 'task-form', novalidate: true },
    el('div', { class: 'field-row' },
      el('label', { class: 'field' }, el('span', {}, 'Model A'), left),
      el('label', { class: 'field' }, el('span', {}, 'Model B'), right)),
    field, el('div', { class: 'actions' }, button)));
  const panel = el('section', { class: 'task compare', role: 'tabpanel', id: 'panel-compare', 'aria-labelledby': 'tab-compare', 'data-tab': 'compare' },
    el('div', { class: 'card' },
      el('div', { class: 'card-head' }, el('h2', {}, 'Compare'), el('p', { class: 'intro' },
        'Runs the same text through two models: each one\'s result and attention, side by side (e.g. the SST-2 sentiment model and the MLM it was fine-tuned from: how fine-tuning changed the attention).')),
      form, msgBox),
    el('div', { class: 'compare-grid' }, sides[0].panel.root, sides[1].panel.root));

  const tab = {
    id: 'compare', label: 'Compare', panel, usesAttentionPanel: false, busy: false,
    /** @type {any} */ last: null,
    panels: sides.map((s) => s.panel),
    async run() {
      const text = area.value;
      const invalid = checkText(text);
      for (const s of sides) { s.result.replaceChildren(); s.panel.setData(null); }
      if (invalid) {
        message(msgBox, 'error', invalid);
        tab.last = { error: invalid };
        return tab.last;
      }
      msgBox.replaceChildren();
      tab.busy = true;
      button.disabled = true;
      panel.setAttribute('aria-busy', 'true');
      try {
        const runs = [];
        for (const [k, select] of [left, right].entries()) {
          const entry = models.find((m) => m.url === select.value);
          const task = compareTask(entry?.task ?? 'feature-extraction', text);
          const r = await ctx.engine.run(task, select.value, task === 'feature-extraction' ? [text] : text,
            task === 'sentiment-analysis' ? { top_k: null } : {});
          r.task = task;
          sides[k].result.replaceChildren(el('h3', { class: 'side-title' }, `${modelName(select.value)} · ${task}`),
            summary(task, r.result, text), resultMeta(r));
          sides[k].panel.setData(r.attention);
          runs.push(r);
        }
        tab.last = { runs };
        return tab.last;
      } catch (e) {
        const msg = describeError(e);
        message(msgBox, 'error', msg);
        tab.last = { error: msg };
        return tab.last;
      } finally {
        tab.busy = false;
        button.disabled = false;
        panel.removeAttribute('aria-busy');
      }
    },
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    tab.run();
  });
  return tab;
}
