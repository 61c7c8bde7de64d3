// Teach tab: fine-tune a classifier on the user's own labelled examples, in the worker (the package's
// Trainer through createWorkerClient().trainer): paste or upload CSV/TSV, choose what to train, watch
// the loss curve and the held-out accuracy, try the result (with its attention, like the other tabs),
// download the Hugging Face folder.

import { el, message, pct, resultMeta } from '../ui.js';
import { describeError } from './common.js';
import { renderSentiment } from './sentiment.js';
import { parseDelimited } from '/js/train/data.js';

/** The demo's learning rate per mode (LoRA and layers: the Trainer's MODE_DEFAULTS, js/train/options.js). */
const MODE_LR = { head: 0.01, probe: 0.01, lora: 5e-4, layers2: 3e-4 };

const SAMPLE = `text,label
a gorgeous, witty, seductive movie,positive
an utterly charming and hilarious film,positive
one of the best films of the year,positive
the performances are wonderful and moving,positive
a delightful and inventive comedy,positive
a beautiful story told with warmth and wit,positive
the cast is terrific and the script sparkles,positive
I loved every minute of it,positive
a smart and funny movie,positive
a triumph of acting and direction,positive
the film is a joy to watch,positive
engaging from start to finish,positive
a dull and lifeless film,negative
the plot is boring and predictable,negative
a tedious mess with no laughs,negative
the worst movie I have seen in years,negative
the acting is wooden and the jokes fall flat,negative
painfully slow and badly written,negative
I wanted to leave after ten minutes,negative
a waste of a talented cast,negative
the story makes no sense at all,negative
an ugly and pointless film,negative
too long and far too loud,negative
the ending is stupid and lazy,negative
`;

/**
 * Parses pasted CSV/TSV in the page with the package's reader.
 * @param {string} text
 */
async function parse(text) {
  return parseDelimited(text);
}

/** An SVG polyline of the loss values. @param {number[]} values */
function lossCurve(values) {
  const w = 320;
  const h = 90;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('class', 'loss-curve');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `training loss, ${values.length} points`);
  if (values.length > 0) {
    const max = Math.max(...values, 1e-6);
    const pts = values.map((v, i) => `${(values.length === 1 ? 0 : (i / (values.length - 1)) * (w - 4) + 2).toFixed(1)},${(h - 2 - (v / max) * (h - 6)).toFixed(1)}`);
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', 'currentColor');
    line.setAttribute('stroke-width', '2');
    svg.append(line);
  }
  return svg;
}

/** @param {any} ctx {engine, catalog, onAttention} */
export function createTeachTab(ctx) {
  const models = /** @type {{name: string, url: string, task: string}[]} */ (ctx.catalog.models);
  const select = /** @type {HTMLSelectElement} */ (el('select', { name: 'model', 'data-role': 'model' },
    ...models.map((m) => el('option', { value: m.url }, m.name))));
  const def = models.find((m) => m.name === 'bert-mini-mlm') ?? models[0];
  if (def) select.value = def.url;
  const data = /** @type {HTMLTextAreaElement} */ (el('textarea', { name: 'examples', rows: '8', spellcheck: 'false' }));
  data.value = SAMPLE;
  const upload = /** @type {HTMLInputElement} */ (el('input', { type: 'file', name: 'upload', accept: '.csv,.tsv,.txt,text/csv,text/tab-separated-values' }));
  upload.addEventListener('change', async () => {
    const f = upload.files?.[0];
    if (f) data.value = await f.text();
  });
  const mode = /** @type {HTMLSelectElement} */ (el('select', { name: 'mode' },
    el('option', { value: 'head' }, 'Head only (frozen encoder; fast; savable)'),
    el('option', { value: 'probe' }, 'Head only, mean-pooled probe (not savable)'),
    el('option', { value: 'lora' }, 'LoRA r 8 on query/value'),
    el('option', { value: 'layers2' }, 'Last 2 layers + head')));
  const epochs = /** @type {HTMLInputElement} */ (el('input', { type: 'number', name: 'epochs', min: '1', max: '200', value: '20' }));
  const lr = /** @type {HTMLInputElement} */ (el('input', { type: 'number', name: 'lr', min: '0', step: 'any', value: String(MODE_LR.head) }));
  // A new mode brings its learning rate (unless the user typed one): 0.01 trains a head on a few
  // examples in seconds, but makes LoRA and unfrozen layers diverge.
  let lrTouched = false;
  lr.addEventListener('input', () => { lrTouched = true; });
  mode.addEventListener('change', () => { if (!lrTouched) lr.value = String(MODE_LR[/** @type {keyof typeof MODE_LR} */ (mode.value)] ?? MODE_LR.head); });
  const trainBtn = /** @type {HTMLButtonElement} */ (el('button', { type: 'submit', class: 'btn-primary', 'data-action': 'train' },
    el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', {}, 'Train')));
  // Buttons that do not apply are hidden, never disabled (the page's tests read a disabled button as busy).
  const cancelBtn = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', 'data-action': 'cancel', hidden: true }, 'Cancel'));
  const msgBox = el('div', { class: 'messages', 'aria-live': 'polite' });
  const curveBox = el('div', { class: 'teach-curve', 'data-role': 'curve' });
  const stats = el('p', { class: 'result-meta', 'data-role': 'train-stats' });
  const tryText = /** @type {HTMLTextAreaElement} */ (el('textarea', { name: 'try', rows: '2', spellcheck: 'false' }));
  tryText.value = 'a warm, funny and touching film';
  const tryBtn = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', 'data-action': 'try', hidden: true }, 'Try it'));
  const downloadBtn = /** @type {HTMLButtonElement} */ (el('button', { type: 'button', 'data-action': 'download', hidden: true }, 'Download the model folder'));
  const tryResult = el('div', { class: 'results', 'data-role': 'results' });
  const form = /** @type {HTMLFormElement} */ (el('form', { class: 'task-form', novalidate: true },
    el('div', { class: 'field-row' }, el('label', { class: 'field' }, el('span', {}, 'Start from'), select)),
    el('label', { class: 'field' }, el('span', {}, 'Labelled examples (CSV or TSV: text,label)'), data),
    el('div', { class: 'field-row' }, el('label', { class: 'field' }, el('span', {}, 'Or upload'), upload)),
    el('div', { class: 'field-row' },
      el('label', { class: 'field' }, el('span', {}, 'Train'), mode),
      el('label', { class: 'field' }, el('span', {}, 'Epochs'), epochs),
      el('label', { class: 'field' }, el('span', {}, 'Learning rate'), lr)),
    el('div', { class: 'actions' }, trainBtn, cancelBtn)));
  const panel = el('section', { class: 'card task', role: 'tabpanel', id: 'panel-teach', 'aria-labelledby': 'tab-teach', 'data-tab': 'teach' },
    el('div', { class: 'card-head' }, el('h2', {}, 'Teach'),
      el('p', { class: 'intro' }, 'Train your own classifier from labelled examples, in this page\'s worker: every fifth example is held out to measure accuracy.')),
    form, msgBox, curveBox, stats,
    el('div', { class: 'task-form' }, el('label', { class: 'field' }, el('span', {}, 'Try the trained model'), tryText),
      el('div', { class: 'actions' }, tryBtn, downloadBtn)),
    tryResult);

  /** @type {any} */ let trainer = null;
  /** @type {Record<string, Uint8Array> | null} */ let files = null;
  /** @type {AbortController | null} */ let controller = null;
  let trained = 0;

  const tab = {
    id: 'teach', label: 'Teach', panel, usesAttentionPanel: true,
    /** @type {any} */ last: null,
    busy: false,
    explain: null,
    /** @type {any} */ attention: null,
    /** Trains on the examples; resolves with {accuracy, macro_f1, losses, ...} or {error}. */
    async run() {
      msgBox.replaceChildren();
      tryResult.replaceChildren();
      let examples;
      try {
        examples = await parse(data.value);
      } catch (e) {
        message(msgBox, 'error', describeError(e));
        tab.last = { error: describeError(e) };
        return tab.last;
      }
      const labels = [...new Set(examples.map((x) => String(x.label)))].sort();
      if (examples.length < 4 || labels.length < 2) {
        const text = `Please give at least 4 examples of at least 2 labels (got ${examples.length} of ${labels.length}).`;
        message(msgBox, 'error', text);
        tab.last = { error: text };
        return tab.last;
      }
      const normalised = examples.map((x) => ({ text: x.text, label: String(x.label) }));
      const train = normalised.filter((_, i) => i % 5 !== 4);
      const heldOut = normalised.filter((_, i) => i % 5 === 4);
      const losses = /** @type {number[]} */ ([]);
      tab.busy = true;
      trainBtn.disabled = true;
      cancelBtn.hidden = false;
      tryBtn.hidden = true;
      downloadBtn.hidden = true;
      panel.setAttribute('aria-busy', 'true');
      controller = new AbortController();
      curveBox.replaceChildren(lossCurve(losses));
      try {
        const model = await ctx.engine.load(select.value);
        await trainer?.dispose().catch(() => {});
        files = null;
        const m = mode.value;
        trainer = await ctx.engine.client.trainer(model, {
          labels, epochs: Number(epochs.value), batch_size: 8, seed: 42, optimizer: { lr: Number(lr.value) },
          ...(m === 'probe' ? { pooling: 'mean' } : {}),
          ...(m === 'lora' ? { train: { lora: { r: 8, alpha: 16 } } } : m === 'layers2' ? { train: { layers: 2 } } : {}),
        });
        const t0 = performance.now();
        const fit = await trainer.fit(train, { signal: controller.signal, onProgress: (/** @type {any} */ p) => {
          if (p.phase === 'features') { stats.textContent = `Encoding ${p.done}/${p.total} examples…`; return; }
          losses.push(p.loss);
          curveBox.replaceChildren(lossCurve(losses));
          stats.textContent = `epoch ${p.epoch.toFixed(1)} · step ${p.step}/${p.total_steps} · loss ${p.loss.toFixed(4)} · ${Math.round(p.examples_per_second)} examples/s`;
        } });
        const ev = await trainer.evaluate(heldOut.length > 0 ? heldOut : train);
        const what = heldOut.length > 0 ? `held-out accuracy ${pct(ev.accuracy)} (${heldOut.length} examples)` : `training accuracy ${pct(ev.accuracy)}`;
        stats.textContent = `${what} · macro-F1 ${ev.macro_f1.toFixed(3)} · final loss ${fit.loss.toFixed(4)} · ${((performance.now() - t0) / 1000).toFixed(1)} s`;
        stats.dataset.accuracy = String(ev.accuracy);
        tryBtn.hidden = false;
        downloadBtn.hidden = m === 'probe';
        tab.last = { accuracy: ev.accuracy, macro_f1: ev.macro_f1, loss: fit.loss, losses, labels, steps: fit.steps };
        return tab.last;
      } catch (e) {
        const text = /** @type {any} */ (e)?.code === 'ABORTED' ? 'Training cancelled.' : describeError(e);
        message(msgBox, /** @type {any} */ (e)?.code === 'ABORTED' ? 'info' : 'error', text);
        tab.last = { error: text };
        return tab.last;
      } finally {
        tab.busy = false;
        trainBtn.disabled = false;
        cancelBtn.hidden = true;
        panel.removeAttribute('aria-busy');
      }
    },
    /** Classifies the "Try" text with the trained model, loaded from its saved folder (attention included). */
    async tryIt() {
      if (!trainer) return { error: 'train first' };
      try {
        const text = tryText.value;
        if (mode.value === 'probe') {
          const [scores] = await trainer.predict([text]);
          tryResult.replaceChildren(renderSentiment(scores).node);
          return { result: scores };
        }
        files ??= await trainer.save();
        const name = `teach-${++trained}`;
        ctx.engine.models.set(name, ctx.engine.client.load(files, { name }));
        const r = await ctx.engine.run('text-classification', name, text, { top_k: null });
        tryResult.replaceChildren(renderSentiment(r.result).node, resultMeta(r));
        ctx.onAttention(r.attention, tab);
        return r;
      } catch (e) {
        message(msgBox, 'error', describeError(e));
        return { error: describeError(e) };
      }
    },
    /** Downloads config.json, model.safetensors and the tokenizer files. */
    async download() {
      files ??= await trainer.save();
      for (const [name, bytes] of Object.entries(/** @type {Record<string, Uint8Array>} */ (files))) {
        const a = /** @type {HTMLAnchorElement} */ (el('a', { href: URL.createObjectURL(new Blob([bytes])), download: name }));
        a.click();
        setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      }
      return Object.keys(files ?? {});
    },
    modelLabel: () => 'teach',
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); tab.run(); });
  cancelBtn.addEventListener('click', () => controller?.abort());
  tryBtn.addEventListener('click', () => tab.tryIt());
  downloadBtn.addEventListener('click', () => tab.download());
  return tab;
}
