// Head view (BertViz-style): the tokens on two columns (queries left, keys right); a line from
// token i to token j for every selected head of the chosen layer, its opacity the attention weight
// A[layer, head, i, j], its colour the head's. Hovering a token (or moving with ↑/↓ on the focused
// canvas) isolates the attention from it (left column) or to it (right column).
//
// Speed: lines are batched by (head, opacity level) into a few dozen strokes; lines whose opacity is
// below 1/255 change no pixel and are skipped; for long inputs the whole-view drawing keeps only the
// LINE_BUDGET strongest lines (the weakest are fainter than `minDrawnWeight`, reported by weights());
// it is cached in an offscreen canvas, so a hover redraws the cache faded plus the hovered token's
// lines (all of them, at most seq per head).

import { FONT, headColor, sizeCanvas } from './colors.js';

const LEVELS = 64;
const MIN_ALPHA = 1 / 255;
/** Most lines drawn for the whole view (long inputs): the strongest ones; hovering shows all of a token's. */
export const LINE_BUDGET = 3000;

export class HeadView {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    /** @type {import('../engine-client.js').Attention | null} */
    this.att = null;
    this.layer = 0;
    /** @type {Set<number>} */
    this.heads = new Set();
    /** @type {{side: 'left' | 'right', index: number} | null} */
    this.hover = null;
    /** @type {HTMLCanvasElement | null} */
    this.cache = null;
    this.cacheKey = '';
    this.lastDrawMs = 0;
    /** Lines fainter than this are not drawn in the whole view (1/255 unless the budget applies). */
    this.minDrawnWeight = MIN_ALPHA;
    this.lineBudget = LINE_BUDGET;
    /** @type {number | undefined} */ this.colW = undefined;
    /** @type {any} */ this.colWFor = null;
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.addEventListener('mousemove', (e) => this.#onMove(e));
    canvas.addEventListener('mouseleave', () => this.setHover(null));
    canvas.addEventListener('keydown', (e) => this.#onKey(e));
  }

  /** @param {import('../engine-client.js').Attention} att */
  setData(att) {
    this.att = att;
    this.layer = Math.min(this.layer, att.layers - 1);
    this.heads = new Set([...this.heads].filter((h) => h < att.heads));
    if (this.heads.size === 0) for (let h = 0; h < att.heads; h++) this.heads.add(h);
    this.hover = null;
    this.cacheKey = '';
  }

  /** @param {number} layer @param {Iterable<number>} heads */
  select(layer, heads) {
    this.layer = layer;
    this.heads = new Set(heads);
    this.draw();
  }

  /** @param {{side: 'left' | 'right', index: number} | null} hover */
  setHover(hover) {
    if (hover?.side === this.hover?.side && hover?.index === this.hover?.index) return;
    this.hover = hover;
    this.draw();
  }

  /** The weights the lines are drawn with: per selected head, A[layer, head] as rows of the query tokens. */
  weights() {
    const att = this.att;
    if (!att) return null;
    const { seq } = att;
    /** @type {Record<number, number[][]>} */
    const perHead = {};
    for (const h of [...this.heads].sort((a, b) => a - b)) {
      const m = this.#matrix(h);
      perHead[h] = Array.from({ length: seq }, (_, i) => Array.from(m.subarray(i * seq, (i + 1) * seq)));
    }
    return { layer: this.layer, heads: Object.keys(perHead).map(Number), tokens: att.tokens, weights: perHead,
      minDrawnWeight: this.minDrawnWeight };
  }

  /** @param {number} h */
  #matrix(h) {
    const { seq, heads } = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const off = (this.layer * heads + h) * seq * seq;
    return /** @type {import('../engine-client.js').Attention} */ (this.att).data.subarray(off, off + seq * seq);
  }

  #layout() {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const width = Math.max(300, Math.min(this.att.seq > 160 ? 720 : 620, (this.canvas.parentElement?.clientWidth ?? 600) - 14));
    // Long inputs are compressed to at most ~1200 px (drawing cost grows with the canvas height);
    // their token labels are thinned out, and hovering shows the hovered token's label.
    const rowH = att.seq <= 48 ? 20 : att.seq <= 96 ? 15 : Math.max(2, Math.min(13, 1200 / att.seq));
    const top = 26;
    const ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    ctx.font = FONT;
    if (this.colWFor !== att) {
      let w = 40;
      for (const t of att.tokens) w = Math.max(w, ctx.measureText(t).width);
      this.colW = Math.min(w, 130);
      this.colWFor = att;
    }
    const colW = /** @type {number} */ (this.colW);
    const pad = 8;
    const xL = pad + colW + 8;
    const xR = width - pad - colW - 8;
    return { width, height: Math.ceil(top + att.seq * rowH + 10), rowH, top, colW, pad, xL, xR, dpr: att.seq > 96 ? 1 : 2 };
  }

  /** The smallest weight drawn in the whole view so that at most LINE_BUDGET lines are drawn. */
  #threshold() {
    const { seq } = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const bins = new Uint32Array(257);
    for (const h of this.heads) {
      const m = this.#matrix(h);
      for (let p = 0; p < seq * seq; p++) bins[Math.min(256, Math.floor(m[p] * 256))]++;
    }
    let count = 0;
    for (let b = 256; b >= 1; b--) {
      count += bins[b];
      if (count > this.lineBudget) return Math.max(MIN_ALPHA, (b + 1) / 256);
    }
    return MIN_ALPHA;
  }

  /** Lines of (head h, rows) into ctx, batched by opacity; weights below `min` are skipped. */
  #lines(ctx, L, h, rows, cols, min = MIN_ALPHA) {
    const { seq } = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const m = this.#matrix(h);
    /** @type {number[][]} */
    const buckets = Array.from({ length: LEVELS + 1 }, () => []);
    for (const i of rows) {
      for (const j of cols) {
        const a = m[i * seq + j];
        if (a < min) continue;
        buckets[Math.max(1, Math.round(Math.min(1, a) * LEVELS))].push(i, j);
      }
    }
    ctx.strokeStyle = headColor(h);
    ctx.lineWidth = seq > 96 ? 1 : 2;
    const y = (/** @type {number} */ i) => L.top + (i + 0.5) * L.rowH;
    for (let level = 1; level <= LEVELS; level++) {
      const b = buckets[level];
      if (b.length === 0) continue;
      ctx.globalAlpha = level / LEVELS;
      ctx.beginPath();
      for (let k = 0; k < b.length; k += 2) {
        ctx.moveTo(L.xL, y(b[k]));
        ctx.lineTo(L.xR, y(b[k + 1]));
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }

  #labels(ctx, L) {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    ctx.font = FONT;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#5b6472';
    ctx.textAlign = 'right';
    ctx.fillText('from', L.xL - 8, 12);
    ctx.textAlign = 'left';
    ctx.fillText('to', L.xR + 8, 12);
    const every = Math.max(1, Math.ceil(12 / L.rowH));
    const hovered = this.hover?.index ?? -1;
    for (let i = 0; i < att.seq; i++) {
      if (i % every !== 0 && i !== hovered) continue;
      if (i !== hovered && hovered >= 0 && every > 1 && Math.abs(i - hovered) * L.rowH < 12) continue;
      const y = L.top + (i + 0.5) * L.rowH;
      const t = clip(ctx, att.tokens[i], L.colW);
      for (const side of /** @type {const} */ (['left', 'right'])) {
        const active = this.hover?.side === side && this.hover.index === i;
        if (active) {
          ctx.fillStyle = '#fde9a9';
          const h = Math.max(L.rowH, 14);
          ctx.fillRect(side === 'left' ? L.pad : L.xR + 4, y - h / 2 + 1, L.colW + 8, h - 2);
        }
        ctx.fillStyle = att.sequenceIds[i] < 0 ? '#8a93a3' : '#1b2330';
        ctx.textAlign = side === 'left' ? 'right' : 'left';
        ctx.fillText(t, side === 'left' ? L.xL - 8 : L.xR + 8, y);
      }
    }
  }

  draw() {
    const att = this.att;
    if (!att) return;
    const t0 = performance.now();
    const L = this.#layout();
    const key = `${L.width}:${this.layer}:${[...this.heads].join(',')}`;
    const all = [...Array(att.seq).keys()];
    if (key !== this.cacheKey || !this.cache) {
      this.cache ??= document.createElement('canvas');
      const c = sizeCanvas(this.cache, L.width, L.height, L.dpr);
      this.minDrawnWeight = this.#threshold();
      for (const h of this.heads) this.#lines(c, L, h, all, all, this.minDrawnWeight);
      this.cacheKey = key;
    }
    const ctx = sizeCanvas(this.canvas, L.width, L.height, L.dpr);
    if (this.hover) {
      ctx.globalAlpha = 0.12;
      ctx.drawImage(this.cache, 0, 0, L.width, L.height);
      ctx.globalAlpha = 1;
      const one = [this.hover.index];
      for (const h of this.heads) {
        if (this.hover.side === 'left') this.#lines(ctx, L, h, one, all);
        else this.#lines(ctx, L, h, all, one);
      }
    } else {
      ctx.drawImage(this.cache, 0, 0, L.width, L.height);
    }
    this.#labels(ctx, L);
    const heads = [...this.heads].map((h) => h + 1).join(', ') || 'none';
    this.canvas.setAttribute('aria-label', `Head view, layer ${this.layer + 1}, heads ${heads}, ${att.seq} tokens` +
      (this.hover ? `; showing attention ${this.hover.side === 'left' ? 'from' : 'to'} "${att.tokens[this.hover.index]}"` : ''));
    this.lastDrawMs = performance.now() - t0;
  }

  /** @param {MouseEvent} e */
  #onMove(e) {
    if (!this.att) return;
    const L = this.#layout();
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left;
    const i = Math.floor((e.clientY - r.top - L.top) / L.rowH);
    if (i < 0 || i >= this.att.seq || (x > L.xL && x < L.xR)) return this.setHover(null);
    this.setHover({ side: x <= L.xL ? 'left' : 'right', index: i });
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    if (!this.att) return;
    const cur = this.hover ?? { side: /** @type {'left'} */ ('left'), index: -1 };
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const index = Math.max(0, Math.min(this.att.seq - 1, cur.index + (e.key === 'ArrowDown' ? 1 : -1)));
      this.setHover({ side: cur.side, index });
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      this.setHover({ side: e.key === 'ArrowLeft' ? 'left' : 'right', index: Math.max(0, cur.index) });
    } else if (e.key === 'Escape') {
      this.setHover(null);
    } else {
      return;
    }
    e.preventDefault();
  }
}

/** @param {CanvasRenderingContext2D} ctx @param {string} s @param {number} w */
function clip(ctx, s, w) {
  if (ctx.measureText(s).width <= w) return s;
  let t = s;
  while (t.length > 1 && ctx.measureText(`${t}…`).width > w) t = t.slice(0, -1);
  return `${t}…`;
}
