// Model view: every layer (rows) × head (columns) as a small heat map of its seq × seq attention
// (query rows, key columns; colour = √weight so weak structure stays visible; inputs longer than
// 128 tokens are max-pooled to 128 × 128). Click a cell, or
// move with the arrow keys and press Enter, to open that layer/head in the head view.

import { FONT, heatRgb, sizeCanvas } from './colors.js';

/** Largest heat-map bitmap per head (longer inputs are max-pooled). */
const TILE = 128;

export class ModelView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(layer: number, head: number) => void} onSelect
   */
  constructor(canvas, onSelect) {
    this.canvas = canvas;
    this.onSelect = onSelect;
    /** @type {import('../engine-client.js').Attention | null} */
    this.att = null;
    /** @type {HTMLCanvasElement[]} one seq × seq bitmap per (layer, head) */
    this.tiles = [];
    /** @type {{layer: number, head: number} | null} */
    this.focus = null;
    this.lastDrawMs = 0;
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.addEventListener('click', (e) => {
      const cell = this.#cellAt(e);
      if (cell) this.onSelect(cell.layer, cell.head);
    });
    canvas.addEventListener('mousemove', (e) => {
      const cell = this.#cellAt(e);
      canvas.style.cursor = cell ? 'pointer' : 'default';
      if (cell?.layer !== this.focus?.layer || cell?.head !== this.focus?.head) {
        this.focus = cell;
        this.draw();
      }
    });
    canvas.addEventListener('keydown', (e) => this.#onKey(e));
  }

  /** @param {import('../engine-client.js').Attention} att */
  setData(att) {
    this.att = att;
    this.focus = null;
    const { seq, layers, heads, data } = att;
    // Long inputs are max-pooled to at most TILE × TILE pixels per head (thin diagonals stay visible,
    // and drawing the grid stays cheap).
    const n = Math.min(seq, TILE);
    this.tiles = [];
    const pooled = new Float32Array(n * n);
    for (let k = 0; k < layers * heads; k++) {
      const off = k * seq * seq;
      pooled.fill(0);
      for (let i = 0; i < seq; i++) {
        const pi = Math.floor((i * n) / seq) * n;
        for (let j = 0; j < seq; j++) {
          const p = pi + Math.floor((j * n) / seq);
          const v = data[off + i * seq + j];
          if (v > pooled[p]) pooled[p] = v;
        }
      }
      const c = document.createElement('canvas');
      c.width = n;
      c.height = n;
      const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
      const img = ctx.createImageData(n, n);
      for (let p = 0; p < n * n; p++) {
        const [r, g, b] = heatRgb(Math.sqrt(pooled[p]));
        img.data[p * 4] = r;
        img.data[p * 4 + 1] = g;
        img.data[p * 4 + 2] = b;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      this.tiles.push(c);
    }
  }

  #layout() {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const width = Math.max(320, Math.min(860, this.canvas.parentElement?.clientWidth ?? 600));
    const left = 34;
    const top = 22;
    const gap = 6;
    const cell = Math.max(40, Math.min(120, Math.floor((width - left - gap * att.heads) / att.heads)));
    return { width: left + att.heads * (cell + gap), height: top + att.layers * (cell + gap) + 4, left, top, gap, cell };
  }

  draw() {
    const att = this.att;
    if (!att) return;
    const t0 = performance.now();
    const L = this.#layout();
    const ctx = sizeCanvas(this.canvas, L.width, L.height);
    ctx.clearRect(0, 0, L.width, L.height);
    ctx.font = FONT;
    ctx.fillStyle = '#5b6472';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'center';
    for (let h = 0; h < att.heads; h++) ctx.fillText(`H${h + 1}`, L.left + h * (L.cell + L.gap) + L.cell / 2, 10);
    ctx.textAlign = 'right';
    // Upscaled tiles stay crisp (one block per token pair); downscaled ones are smoothed.
    ctx.imageSmoothingEnabled = Math.min(att.seq, TILE) > L.cell;
    ctx.imageSmoothingQuality = 'medium';
    for (let l = 0; l < att.layers; l++) {
      const y = L.top + l * (L.cell + L.gap);
      ctx.fillStyle = '#5b6472';
      ctx.fillText(`L${l + 1}`, L.left - 8, y + L.cell / 2);
      for (let h = 0; h < att.heads; h++) {
        const x = L.left + h * (L.cell + L.gap);
        ctx.drawImage(this.tiles[l * att.heads + h], x, y, L.cell, L.cell);
        const focused = this.focus?.layer === l && this.focus.head === h;
        ctx.strokeStyle = focused ? '#e8772e' : '#d5dae2';
        ctx.lineWidth = focused ? 3 : 1;
        ctx.strokeRect(x - 0.5, y - 0.5, L.cell + 1, L.cell + 1);
      }
    }
    this.canvas.setAttribute('aria-label', `Model view: ${att.layers} layers × ${att.heads} heads of attention heat maps` +
      (this.focus ? `; layer ${this.focus.layer + 1}, head ${this.focus.head + 1} focused (Enter opens it)` : ''));
    this.lastDrawMs = performance.now() - t0;
  }

  /** @param {MouseEvent} e */
  #cellAt(e) {
    if (!this.att) return null;
    const L = this.#layout();
    const r = this.canvas.getBoundingClientRect();
    const x = e.clientX - r.left - L.left;
    const y = e.clientY - r.top - L.top;
    const head = Math.floor(x / (L.cell + L.gap));
    const layer = Math.floor(y / (L.cell + L.gap));
    if (x < 0 || y < 0 || head >= this.att.heads || layer >= this.att.layers) return null;
    if (x - head * (L.cell + L.gap) > L.cell || y - layer * (L.cell + L.gap) > L.cell) return null;
    return { layer, head };
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    if (!this.att) return;
    const f = this.focus ?? { layer: 0, head: 0 };
    const moves = /** @type {Record<string, [number, number]>} */ ({ ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] });
    if (moves[e.key]) {
      const [dl, dh] = this.focus ? moves[e.key] : [0, 0];
      this.focus = {
        layer: Math.max(0, Math.min(this.att.layers - 1, f.layer + dl)),
        head: Math.max(0, Math.min(this.att.heads - 1, f.head + dh)),
      };
      this.draw();
    } else if (e.key === 'Home') {
      this.focus = { layer: 0, head: 0 };
      this.draw();
    } else if (e.key === 'Enter' || e.key === ' ') {
      this.onSelect(f.layer, f.head);
    } else {
      return;
    }
    e.preventDefault();
  }
}
