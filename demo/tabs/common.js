// The scaffold every task tab shares: model picker, inputs, Run button, message area, result area,
// latency/threads line. A run never leaves a spinner behind: validation errors are shown before the
// engine is called, engine errors after it, and the button is re-enabled in `finally`.

import { el, message, modelName, resultMeta } from '../ui.js';
import { ExplainPanel } from '../views/explain-panel.js';

/** Longest text the page accepts (the models read at most 512 tokens, about 2,000–3,000 characters). */
export const MAX_CHARS = 5000;

/**
 * Checks one text field; returns an error message or null.
 * @param {string} text @param {string} what
 */
export function checkText(text, what = 'text') {
  if (!text.trim()) return `Please enter some ${what} first.`;
  if (text.length > MAX_CHARS) {
    return `The ${what} is too long: ${text.length.toLocaleString('en-US')} characters (the limit is ` +
      `${MAX_CHARS.toLocaleString('en-US')}; the model reads at most 512 tokens, about 2,000 words-pieces). Shorten it and run again.`;
  }
  return null;
}

/** A readable message for an engine error. @param {any} e */
export function describeError(e) {
  const msg = String(e?.message ?? e);
  if (e?.code === 'NETWORK' || /fetch|HTTP/i.test(msg)) return `Could not download the model: ${msg}`;
  if (/WORKER|worker/.test(e?.code ?? '') || /worker/i.test(msg)) return `The engine stopped: ${msg}. Reload the page to restart it.`;
  return msg;
}

/**
 * @typedef {object} TabSpec
 * @property {string} id
 * @property {string} label
 * @property {string} task the pipeline task
 * @property {string} intro one sentence under the tab's title
 * @property {string} [defaultModel] catalog name of the default model
 * @property {string} [modelTask] catalog task of the models offered first
 * @property {() => HTMLElement[]} fields the inputs
 * @property {() => any} input reads the inputs
 * @property {(input: any) => string | null} validate
 * @property {() => Record<string, any>} [options]
 * @property {(result: any, input: any, run: any) => {node: HTMLElement, warning?: string}} render
 * @property {import('../views/explain-panel.js').ExplainSpec} [explain] adds the Explain panel under the result
 */

/**
 * @param {any} ctx {engine, catalog, onAttention}
 * @param {TabSpec} spec
 */
export function makeTab(ctx, spec) {
  const models = /** @type {{name: string, url: string, task: string}[]} */ (ctx.catalog.models);
  const preferred = models.filter((m) => m.task === spec.modelTask);
  const others = models.filter((m) => m.task !== spec.modelTask);
  const select = /** @type {HTMLSelectElement} */ (el('select', { name: 'model', 'data-role': 'model' },
    ...preferred.map((m) => el('option', { value: m.url }, m.name)),
    others.length ? el('optgroup', { label: 'Other local models' }, ...others.map((m) => el('option', { value: m.url }, m.name))) : null,
    el('option', { value: '__custom' }, 'Hugging Face id or URL…')));
  const def = models.find((m) => m.name === spec.defaultModel) ?? preferred[0];
  if (def) select.value = def.url;
  else select.value = '__custom';
  const custom = /** @type {HTMLInputElement} */ (el('input', {
    type: 'text', name: 'custom-model', placeholder: 'org/name or https://…/', 'aria-label': 'Hugging Face model id or URL',
    hidden: select.value !== '__custom', spellcheck: 'false',
  }));
  select.addEventListener('change', () => { custom.hidden = select.value !== '__custom'; });

  const button = /** @type {HTMLButtonElement} */ (el('button', { type: 'submit', class: 'btn-primary', 'data-action': 'run' },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', {}, 'Run')));
  const msgBox = el('div', { class: 'messages', 'aria-live': 'polite' });
  const results = el('div', { class: 'results', 'data-role': 'results' });
  const form = /** @type {HTMLFormElement} */ (el('form', { class: 'task-form', novalidate: true },
    el('div', { class: 'field-row' }, el('label', { class: 'field' }, el('span', {}, 'Model'), select), custom),
    ...spec.fields(),
    el('div', { class: 'actions' }, button)));
  const explainer = spec.explain ? new ExplainPanel(ctx.engine, spec.task, spec.explain) : null;
  const panel = el('section', { class: 'card task', role: 'tabpanel', id: `panel-${spec.id}`, 'aria-labelledby': `tab-${spec.id}`, 'data-tab': spec.id },
    el('div', { class: 'card-head' }, el('h2', {}, spec.label), el('p', { class: 'intro' }, spec.intro)),
    form, msgBox, results, explainer?.root ?? null);

  const tab = {
    id: spec.id, label: spec.label, panel, usesAttentionPanel: true,
    /** @type {any} */ last: null,
    busy: false,
    /** The Explain panel (Sentiment, NER, QA), or null. */
    explain: explainer,
    source() {
      return select.value === '__custom' ? custom.value.trim() : select.value;
    },
    /** Runs the task on the current inputs; resolves when the page shows the result or a message. */
    async run() {
      const input = spec.input();
      const source = tab.source();
      const invalid = !source ? 'Choose a model, or type a Hugging Face id such as org/name.' : spec.validate(input);
      results.replaceChildren();
      explainer?.setRun(null);
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
        const r = await ctx.engine.run(spec.task, source, input, spec.options?.() ?? {});
        const { node, warning } = spec.render(r.result, input, r);
        if (warning) message(msgBox, 'warning', warning);
        if (r.attention?.truncated) {
          msgBox.append(el('div', { class: 'msg msg-info', role: 'status' }, `The input was truncated to ${r.attention.seq} tokens (the model's limit).`));
        }
        results.replaceChildren(node, resultMeta(r));
        explainer?.setRun(r, input);
        tab.last = r;
        ctx.onAttention(r.attention, tab);
        return r;
      } catch (e) {
        const text = describeError(e);
        message(msgBox, 'error', text);
        tab.last = { error: text };
        return tab.last;
      } finally {
        tab.busy = false;
        button.disabled = false;
        panel.removeAttribute('aria-busy');
      }
    },
    modelLabel: () => modelName(tab.source()),
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    tab.run();
  });
  form.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      tab.run();
    }
  });
  return tab;
}

/** A labelled textarea. @param {string} label @param {string} name @param {string} value @param {number} [rows] */
export function textArea(label, name, value, rows = 3) {
  const area = el('textarea', { name, rows: String(rows), spellcheck: 'false' });
  /** @type {HTMLTextAreaElement} */ (area).value = value;
  return { field: el('label', { class: 'field' }, el('span', {}, label), area), area: /** @type {HTMLTextAreaElement} */ (area) };
}
