// One attention panel: the head view, model view and rollout of one input's attention, with the
// layer/head controls and the exports (PNG of the current view, raw attention as JSON). The page has
// one under the task tabs and one per side in Compare mode.

import { el } from '../ui.js';
import { headColor } from './colors.js';
import { HeadView } from './head-view.js';
import { ModelView } from './model-view.js';
import { RolloutView } from './rollout.js';

const VIEWS = /** @type {const} */ ([['head', 'Head view'], ['model', 'Model view'], ['rollout', 'Rollout']]);

export class AttentionPanel {
  /** @param {string} id @param {{title?: string}} [options] */
  constructor(id, { title = 'Attention' } = {}) {
    this.id = id;
    /** @type {import('../engine-client.js').Attention | null} */
    this.att = null;
    this.view = 'head';
    const headCanvas = el('canvas', { class: 'att-canvas', 'data-view': 'head' });
    const modelCanvas = el('canvas', { class: 'att-canvas', 'data-view': 'model' });
    const rolloutCanvas = el('canvas', { class: 'att-canvas', 'data-view': 'rollout' });
    const caption = el('p', { class: 'att-caption', 'aria-live': 'polite' });
    this.head = new HeadView(/** @type {HTMLCanvasElement} */ (headCanvas));
    this.model = new ModelView(/** @type {HTMLCanvasElement} */ (modelCanvas), (l, h) => {
      this.head.select(l, [h]);
      this.#syncControls();
      this.show('head');
    });
    this.rollout = new RolloutView(/** @type {HTMLCanvasElement} */ (rolloutCanvas), caption);

    this.tabs = VIEWS.map(([v, label]) => el('button', {
      type: 'button', class: 'seg-btn', 'data-view': v, 'aria-pressed': String(v === this.view),
      onclick: () => this.show(v),
    }, label));
    this.layerSelect = /** @type {HTMLSelectElement} */ (el('select', {
      'aria-label': 'Layer', onchange: () => this.head.select(Number(this.layerSelect.value), this.head.heads),
    }));
    this.headBox = el('div', { class: 'head-toggles', role: 'group', 'aria-label': 'Heads' });
    this.meta = el('span', { class: 'att-meta' });
    this.hint = el('p', { class: 'hint' }, 'Hover a token (or focus the picture and use ↑ ↓ ← →) to isolate its attention; ' +
      'left column = attending token, right column = attended token.');
    this.wraps = {
      head: el('div', { class: 'att-scroll' }, headCanvas),
      model: el('div', { class: 'att-scroll', hidden: '' }, modelCanvas, el('p', { class: 'hint' },
        'Rows = layers, columns = heads; each cell is that head\'s token × token attention (colour = √weight). Click one to open it in the head view.')),
      rollout: el('div', { class: 'att-scroll', hidden: '' }, rolloutCanvas, caption),
    };
    this.headControls = el('div', { class: 'head-controls' },
      el('label', { class: 'inline' }, 'Layer ', this.layerSelect), this.headBox);
    this.empty = el('p', { class: 'empty' }, 'Run a task to see what the model attends to — the attention comes from the same forward pass as the result.');
    this.body = el('div', { class: 'att-body', hidden: '' },
      el('div', { class: 'att-toolbar' },
        el('div', { class: 'seg', role: 'group', 'aria-label': 'Attention view' }, ...this.tabs),
        this.headControls,
        el('span', { class: 'exports' },
          el('button', { type: 'button', class: 'btn-secondary', onclick: () => this.exportPng(), 'data-action': 'export-png' }, 'Export PNG'),
          el('button', { type: 'button', class: 'btn-secondary', onclick: () => this.exportJson(), 'data-action': 'export-json' }, 'Export JSON'))),
      this.wraps.head, this.wraps.model, this.wraps.rollout, this.hint);
    this.root = el('section', { class: 'card attention', id, 'aria-label': title },
      el('div', { class: 'card-head' }, el('h2', {}, title), this.meta), this.empty, this.body);
    let resize = 0;
    addEventListener('resize', () => {
      cancelAnimationFrame(resize);
      resize = requestAnimationFrame(() => this.redraw());
    });
  }

  /** @param {import('../engine-client.js').Attention | null} att */
  setData(att) {
    this.att = att;
    this.empty.hidden = Boolean(att);
    this.body.hidden = !att;
    if (!att) {
      this.meta.textContent = '';
      return;
    }
    this.meta.textContent = `${att.model.replace(/^\/models\/|\/$/g, '')} · ${att.seq} tokens · ${att.layers} layers × ${att.heads} heads` +
      (att.windows ? ` · window ${att.window + 1} of ${att.windows} (the answer's)` : '');
    this.head.setData(att);
    this.model.setData(att);
    this.rollout.setData(att);
    this.layerSelect.replaceChildren(...Array.from({ length: att.layers }, (_, l) => el('option', { value: String(l) }, `${l + 1}`)));
    this.headBox.replaceChildren(...Array.from({ length: att.heads }, (_, h) => {
      const box = /** @type {HTMLInputElement} */ (el('input', { type: 'checkbox', 'data-head': String(h), onchange: () => this.#onHeads() }));
      return el('label', { class: 'head-chip', style: `--head:${headColor(h)}`, title: `Head ${h + 1}` }, box, `${h + 1}`);
    }));
    this.#syncControls();
    this.redraw();
  }

  #onHeads() {
    const heads = [...this.headBox.querySelectorAll('input')].filter((b) => /** @type {HTMLInputElement} */ (b).checked)
      .map((b) => Number(/** @type {HTMLInputElement} */ (b).dataset.head));
    this.head.select(this.head.layer, heads);
  }

  #syncControls() {
    this.layerSelect.value = String(this.head.layer);
    for (const b of this.headBox.querySelectorAll('input')) {
      const box = /** @type {HTMLInputElement} */ (b);
      box.checked = this.head.heads.has(Number(box.dataset.head));
    }
  }

  /** @param {'head' | 'model' | 'rollout'} view */
  show(view) {
    this.view = view;
    for (const t of this.tabs) t.setAttribute('aria-pressed', String(t.dataset.view === view));
    for (const [v, w] of Object.entries(this.wraps)) w.hidden = v !== view;
    this.headControls.hidden = view !== 'head';
    this.hint.hidden = view !== 'head';
    this.redraw();
  }

  redraw() {
    if (!this.att) return;
    ({ head: this.head, model: this.model, rollout: this.rollout })[this.view].draw();
  }

  /** The canvas of the current view. */
  currentCanvas() {
    return ({ head: this.head, model: this.model, rollout: this.rollout })[this.view].canvas;
  }

  #name(ext) {
    const model = (this.att?.model ?? 'model').replace(/^\/models\//, '').replace(/[^\w.-]+/g, '-').replace(/^-|-$/g, '');
    const detail = this.view === 'head' ? `-layer${this.head.layer + 1}` : '';
    return `bertology-${model}-${this.view}${detail}.${ext}`;
  }

  exportPng() {
    const canvas = this.currentCanvas();
    const out = document.createElement('canvas');
    out.width = canvas.width;
    out.height = canvas.height;
    const ctx = /** @type {CanvasRenderingContext2D} */ (out.getContext('2d'));
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(canvas, 0, 0);
    out.toBlob((blob) => blob && download(blob, this.#name('png')), 'image/png');
  }

  /** The raw attention as a JSON Blob: exact float32 values, [layer][head][query][key]. */
  jsonBlob() {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const { layers, heads, seq, data } = att;
    const f = (/** @type {number} */ x) => (x === 0 ? '0' : String(Number(x.toPrecision(9))));
    const parts = [JSON.stringify({
      model: att.model, texts: att.texts, tokens: att.tokens, offsets: att.offsets, layers, heads, seq,
      layout: 'attentions[layer][head][query][key]',
    }).slice(0, -1), ',"attentions":['];
    for (let l = 0; l < layers; l++) {
      parts.push(l ? ',[' : '[');
      for (let h = 0; h < heads; h++) {
        const rows = [];
        for (let i = 0; i < seq; i++) {
          const off = ((l * heads + h) * seq + i) * seq;
          rows.push(`[${Array.from(data.subarray(off, off + seq), f).join(',')}]`);
        }
        parts.push(`${h ? ',' : ''}[${rows.join(',')}]`);
      }
      parts.push(']');
    }
    parts.push(']}');
    return new Blob(parts, { type: 'application/json' });
  }

  exportJson() {
    if (this.att) download(this.jsonBlob(), this.#name('json'));
  }
}

/** @param {Blob} blob @param {string} name */
function download(blob, name) {
  const a = /** @type {HTMLAnchorElement} */ (el('a', { href: URL.createObjectURL(blob), download: name }));
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
