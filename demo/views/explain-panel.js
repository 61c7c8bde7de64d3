// The Explain panel of the Sentiment, NER and QA tabs: why did the model predict what the tab shows?
// Runs the pipeline's `explain()` in the worker on the tab's last input and colours every word by its
// attribution (diverging scale normalised by the largest |attribution|: blue raises the explained
// score, red lowers it), with a method selector, what is explained, hover/focus tooltips with the
// numbers and, for integrated gradients, the completeness gap.

import { el, message, ms, pct } from '../ui.js';
import { divergingCss, divergingGradient, divergingInk } from './colors.js';

export const METHODS = /** @type {const} */ ([
  ['grad_x_input', 'Gradient × input'], ['integrated_gradients', 'Integrated gradients'], ['occlusion', 'Occlusion'],
  ['lime', 'LIME'], ['attention_rollout', 'Attention rollout'], ['gradient_weighted_rollout', 'Gradient-weighted rollout']]);

const NOTES = /** @type {Record<string, string>} */ ({
  grad_x_input: 'Gradient of the explained score with respect to each token\'s embedding (the embedding layer\'s output), times that embedding less the embedding of a zero input (one forward and one backward pass).',
  integrated_gradients: 'Gradients averaged along the straight path from a baseline (every word\'s embeddings replaced by [PAD]\'s) to the input, times the difference; the attributions add up to f(input) − f(baseline), up to the completeness gap.',
  occlusion: 'How much the explained score drops when the word\'s embeddings are replaced by [PAD]\'s (one forward pass per word).',
  lime: 'Weighted ridge regression of the explained score on which words are kept, over random word masks (seed 0).',
  attention_rollout: 'Attention rollout (Abnar & Zuidema 2020) from the explained token: how much it draws on each word, unsigned — it has no direction, so no red.',
  gradient_weighted_rollout: 'Attention rollout with each head weighted by the explained score\'s gradient (Chefer et al. 2021): specific to the explained label, never negative, so no red.',
});

/**
 * @typedef {object} TargetOption
 * @property {string} value
 * @property {string} text
 * @property {Record<string, any>} request the explain options it adds ({target}, {token}, or nothing)
 *
 * @typedef {object} ExplainSpec
 * @property {(input: any) => {texts: string[], names: string[]}} texts what the words' offsets index
 * @property {(run: any, input: any) => {label: string, groups: {label?: string, options: TargetOption[]}[], value?: string}} targets
 */

/** A signed attribution for people: +0.6920, −0.0934, +3.1e-6. @param {number} x */
export function signed(x) {
  const a = Math.abs(x);
  const body = a === 0 ? '0' : a >= 0.01 ? a.toFixed(4) : a.toExponential(1);
  return `${x < 0 ? '−' : '+'}${body}`;
}

/** Scientific notation with a real minus sign: −7.949e-5. @param {number} x */
export const sci = (x) => x.toExponential(3).replace(/^-/, '−');

export class ExplainPanel {
  /** @param {any} engine @param {string} task @param {ExplainSpec} spec */
  constructor(engine, task, spec) {
    this.engine = engine;
    this.task = task;
    this.spec = spec;
    /** @type {any} the tab run being explained */
    this.run = null;
    this.input = null;
    /** @type {any} the last explanation shown (or {error}) */
    this.last = null;
    this.busy = false;
    this.generation = 0;
    /** @type {Map<string, Record<string, any>>} */
    this.requests = new Map();
    this.method = /** @type {HTMLSelectElement} */ (el('select', { name: 'explain-method', onchange: () => this.#syncFields() },
      ...METHODS.map(([v, label]) => el('option', { value: v }, label))));
    this.method.value = 'integrated_gradients';
    this.steps = /** @type {HTMLInputElement} */ (el('input', { type: 'number', name: 'explain-steps', min: '1', max: '1024', step: '1', value: '32', class: 'num-input' }));
    this.samples = /** @type {HTMLInputElement} */ (el('input', { type: 'number', name: 'explain-samples', min: '1', max: '10000', step: '1', value: '300', class: 'num-input' }));
    this.target = /** @type {HTMLSelectElement} */ (el('select', { name: 'explain-target' }));
    this.targetLabel = el('span', {}, 'Explain');
    this.stepsField = el('label', { class: 'field inline' }, el('span', {}, 'Steps'), this.steps);
    this.samplesField = el('label', { class: 'field inline' }, el('span', {}, 'Samples'), this.samples);
    this.button = /** @type {HTMLButtonElement} */ (el('button', { type: 'submit', class: 'btn-secondary', 'data-action': 'explain' },
      el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', {}, 'Explain')));
    const form = el('form', { class: 'explain-controls field-row', novalidate: true },
      el('label', { class: 'field inline' }, el('span', {}, 'Method'), this.method), this.stepsField, this.samplesField,
      el('label', { class: 'field inline' }, this.targetLabel, this.target), el('div', { class: 'actions' }, this.button));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.explain();
    });
    this.msgBox = el('div', { class: 'messages', 'aria-live': 'polite' });
    this.out = el('div', { class: 'explain-out', 'data-role': 'explain-out', 'aria-live': 'polite' });
    this.root = el('details', { class: 'explain', 'data-role': 'explain', hidden: true },
      el('summary', {}, el('span', { class: 'explain-title' }, 'Explain this prediction'),
        el('span', { class: 'explain-sub' }, 'which words raised or lowered the score')),
      el('div', { class: 'explain-body' }, form, this.msgBox, this.out));
    this.#syncFields();
  }

  #syncFields() {
    this.stepsField.hidden = this.method.value !== 'integrated_gradients';
    this.samplesField.hidden = this.method.value !== 'lime';
  }

  /** A new tab result to explain (null: none; the panel hides). @param {any} run @param {any} [input] */
  setRun(run, input) {
    this.generation++;
    this.run = run;
    this.input = input;
    this.last = null;
    this.out.replaceChildren();
    this.msgBox.replaceChildren();
    this.root.hidden = !run;
    if (!run) return;
    const choice = this.spec.targets(run, input);
    this.targetLabel.textContent = choice.label;
    this.requests.clear();
    const option = (/** @type {TargetOption} */ o) => {
      this.requests.set(o.value, o.request);
      return el('option', { value: o.value }, o.text);
    };
    this.target.replaceChildren(...choice.groups.filter((g) => g.options.length).map((g) => (g.label
      ? el('optgroup', { label: g.label }, ...g.options.map(option)) : g.options.map(option))).flat());
    if (choice.value !== undefined) this.target.value = choice.value;
    this.out.append(el('p', { class: 'hint' }, 'Choose a method and what to explain, then press Explain.'));
  }

  /** The explain options from the controls, or an error message. */
  options() {
    const method = this.method.value;
    /** @type {Record<string, any>} */
    const o = { method, ...(this.requests.get(this.target.value) ?? {}) };
    const count = (/** @type {HTMLInputElement} */ input, /** @type {string} */ name, /** @type {number} */ max) => {
      const v = Number(input.value);
      if (!Number.isInteger(v) || v < 1 || v > max) throw new Error(`${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}.`);
      return v;
    };
    if (method === 'integrated_gradients') o.steps = count(this.steps, 'Steps', 1024);
    if (method === 'lime') o.samples = count(this.samples, 'Samples', 10000);
    return o;
  }

  /** Explains the current run with the controls' settings; resolves when the page shows it. */
  async explain() {
    this.msgBox.replaceChildren();
    if (!this.run) {
      message(this.msgBox, 'error', 'Run the task first: the explanation is about its result.');
      this.last = { error: 'no run' };
      return this.last;
    }
    let options;
    try {
      options = this.options();
    } catch (e) {
      message(this.msgBox, 'error', /** @type {Error} */ (e).message);
      this.last = { error: /** @type {Error} */ (e).message };
      return this.last;
    }
    const generation = this.generation;
    this.busy = true;
    this.button.disabled = true;
    this.root.setAttribute('aria-busy', 'true');
    try {
      const r = await this.engine.explain(this.task, this.run.model, this.input, options);
      if (generation !== this.generation) return this.last;   // the tab ran again meanwhile
      this.out.replaceChildren(...this.render(r.explanation, r, options).filter(Boolean));
      this.last = { ...r.explanation, latencyMs: r.latencyMs, options };
    } catch (e) {
      const text = String(/** @type {any} */ (e)?.message ?? e);
      if (generation === this.generation) {
        message(this.msgBox, 'error', text);
        this.out.replaceChildren();
      }
      this.last = { error: text };
    } finally {
      this.busy = false;
      this.button.disabled = false;
      this.root.removeAttribute('aria-busy');
    }
    return this.last;
  }

  /**
   * The nodes showing an explanation (null where a part does not apply).
   * @param {any} e the explanation @param {{latencyMs: number, threads: number}} r
   * @param {Record<string, any>} options what was asked
   * @returns {(HTMLElement | null)[]}
   */
  render(e, r, options) {
    const words = /** @type {any[]} */ (e.words);
    const max = Math.max(...words.map((w) => Math.abs(w.attribution)), 0) || 1;
    const tokensOf = words.map(() => /** @type {any[]} */ ([]));
    for (const t of e.tokens) if (t.word >= 0) tokensOf[t.word].push(t);
    const p = e.prediction;
    const explained = p.position !== undefined ? e.tokens[p.position]?.word ?? -1 : -1;
    const { texts, names } = this.spec.texts(this.input);
    const blocks = texts.map((text, seq) => {
      const order = words.map((_, i) => i).filter((i) => words[i].sequence === seq).sort((a, b) => words[a].start - words[b].start);
      const parts = [];
      let at = 0;
      for (const i of order) {
        const w = words[i];
        if (w.start < at) continue;
        if (w.start > at) parts.push(text.slice(at, w.start));
        const v = w.attribution / max;
        const toks = tokensOf[i].length > 1 ? `\n${tokensOf[i].map((t) => `${t.token} ${signed(t.attribution)}`).join('\n')}` : '';
        const tip = `${w.word}  ${signed(w.attribution)}${i === explained ? '\n(the explained token)' : ''}${toks}`;
        parts.push(el('span', {
          class: `xw${i === explained ? ' xw-target' : ''}`, tabindex: '0', 'data-word': i, 'data-attribution': String(w.attribution),
          'data-sign': String(Math.sign(w.attribution)), 'data-tip': tip, 'aria-label': `${w.word} ${signed(w.attribution)}`,
          style: `background:${divergingCss(v)};color:${divergingInk(v)}`,
        }, text.slice(w.start, w.end)));
        at = w.end;
      }
      parts.push(text.slice(at));
      return el('p', { class: 'explain-text', 'data-sequence': seq }, names[seq] ? el('span', { class: 'explain-seq' }, names[seq]) : null, ...parts);
    });
    const method = METHODS.find(([m]) => m === e.method)?.[1] ?? e.method;
    const setting = e.method === 'integrated_gradients' ? `${method}, ${options.steps ?? 32} steps`
      : e.method === 'lime' ? `${method}, ${options.samples ?? 300} samples` : method;
    const at = p.position !== undefined && e.task !== 'text-classification' ? ` at “${e.tokens[p.position]?.token}”` : '';
    const score = e.task === 'question-answering' ? `the answer ${p.label} score` : p.label;
    const what = `${score}${at}`;
    const other = p.predicted !== undefined && p.predicted !== p.label ? ` (the model predicts ${p.predicted}, ${pct(p.predicted_score)})` : '';
    const rollout = e.method === 'attention_rollout' || e.method === 'gradient_weighted_rollout';
    const ranked = words.map((w, i) => [i, w.attribution]).sort((a, b) => b[1] - a[1]);
    const list = (/** @type {number[][]} */ xs) => xs.map(([i, a]) => `“${words[i].word}” ${signed(a)}`).join(', ') || '—';
    return [
      el('p', { class: 'headline explain-head' }, 'Explaining ', el('b', { 'data-role': 'explained' }, what),
        ` — ${p.output ?? 'probability'} ${Number(p.value).toFixed(4)}${other}`),
      ...blocks,
      el('div', { class: 'explain-legend' },
        el('span', { class: 'num' }, rollout ? '0' : signed(-max)),
        el('span', { class: 'legend-bar', style: `background:${divergingGradient(rollout ? 0 : -1)}` }),
        el('span', { class: 'num' }, signed(max)),
        el('span', { class: 'legend-text' }, rollout ? 'white: no attention · blue: the largest share'
          : `red: lowers ${e.task === 'question-answering' ? score : `the score of ${score}`} · white ≈ 0 · blue: raises it (scale: ± the largest |attribution|)`)),
      e.method === 'integrated_gradients' ? completeness(e) : null,
      rollout ? null : el('p', { class: 'explain-top' }, el('b', {}, 'Most for: '), list(ranked.filter((x) => x[1] > 0).slice(0, 3)),
        el('b', {}, ' · most against: '), list(ranked.filter((x) => x[1] < 0).reverse().slice(0, 3))),
      el('p', { class: 'hint' }, NOTES[e.method] ?? ''),
      el('p', { class: 'result-meta', 'data-latency-ms': r.latencyMs.toFixed(1) },
        el('span', {}, setting),
        el('span', {}, `${e.cost?.forward_sequences ?? '?'} sequences forward, ${e.cost?.backward_sequences ?? '?'} backward`),
        el('span', {}, ms(r.latencyMs)),
        el('span', {}, `${r.threads} ${r.threads === 1 ? 'thread' : 'threads'}`)),
    ];
  }
}

/** Integrated gradients' completeness: Σ attributions − (f(x) − f(baseline)). @param {any} e */
function completeness(e) {
  const ratio = e.delta !== 0 ? `${(100 * e.completeness_gap / Math.abs(e.delta)).toPrecision(3).replace(/^-/, '−')}%` : '—';
  return el('p', { class: 'explain-completeness', 'data-role': 'completeness' },
    el('span', {}, 'Completeness gap (Σ attributions − δ) ', el('b', { 'data-role': 'gap' }, sci(e.completeness_gap))),
    el('span', {}, 'δ = f(x) − f(baseline) ', el('b', { 'data-role': 'delta' }, e.delta.toFixed(5))),
    el('span', {}, 'gap / |δ| ', el('b', { 'data-role': 'gap-ratio' }, ratio)));
}
