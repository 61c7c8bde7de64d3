// Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers"):
// per layer, average the heads, add the identity (the residual connection) and renormalise the rows,
// Â_l = (Ā_l + I) / 2; the rollout is Â_L · … · Â_1. Its [CLS] row says how much each input token
// flows into [CLS] through all layers; it is computed as a row vector, e_cls · Â_L · … · Â_1, which
// takes O(layers · seq²) instead of O(layers · seq³). Shown as a heat over the text itself.

import { heatCss, inkOn, sizeCanvas } from './colors.js';

const FONT15 = '15px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * The rollout row of token `from` (default 0, [CLS]).
 * @param {{data: Float32Array, layers: number, heads: number, seq: number}} att
 * @param {number} [from]
 * @returns {Float64Array} sums to 1
 */
export function rolloutRow(att, from = 0) {
  const { data, layers, heads, seq } = att;
  let v = new Float64Array(seq);
  v[from] = 1;
  const mean = new Float64Array(seq * seq);
  for (let l = layers - 1; l >= 0; l--) {
    mean.fill(0);
    for (let h = 0; h < heads; h++) {
      const off = (l * heads + h) * seq * seq;
      for (let p = 0; p < seq * seq; p++) mean[p] += data[off + p];
    }
    const next = new Float64Array(seq);
    for (let i = 0; i < seq; i++) {
      if (v[i] === 0) continue;
      // row i of Â_l: (mean/heads + I) renormalised
      let sum = 1;
      for (let j = 0; j < seq; j++) sum += mean[i * seq + j] / heads;
      const w = v[i] / sum;
      for (let j = 0; j < seq; j++) next[j] += w * (mean[i * seq + j] / heads);
      next[i] += w;
    }
    v = next;
  }
  return v;
}

export class RolloutView {
  /** @param {HTMLCanvasElement} canvas @param {HTMLElement} caption */
  constructor(canvas, caption) {
    this.canvas = canvas;
    this.caption = caption;
    /** @type {import('../engine-client.js').Attention | null} */
    this.att = null;
    /** @type {Float64Array | null} */
    this.values = null;
    /** @type {any} */
    this.layoutFor = null;
    this.lastDrawMs = 0;
    canvas.setAttribute('role', 'img');
  }

  /** @param {import('../engine-client.js').Attention} att */
  setData(att) {
    this.att = att;
    this.values = rolloutRow(att, 0);
  }

  draw() {
    const att = this.att;
    const v = this.values;
    if (!att || !v) return;
    const t0 = performance.now();
    let max = 0;
    for (let k = 0; k < att.seq; k++) if (att.sequenceIds[k] >= 0) max = Math.max(max, v[k]);
    max ||= 1;
    const width = Math.max(300, Math.min(1100, (this.canvas.parentElement?.clientWidth ?? 600) - 14));
    const { boxes, lines } = this.#layout(width, max);
    const pad = 12;
    const lineH = 28;
    const height = pad * 2 + lines * lineH + 26;
    const ctx = sizeCanvas(this.canvas, width, height);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.font = FONT15;
    ctx.textBaseline = 'middle';
    for (const b of boxes) {
      const y = pad + b.line * lineH;
      ctx.fillStyle = heatCss(b.v);
      ctx.fillRect(b.x - 1, y + 2, b.w + 2, lineH - 4);
      ctx.fillStyle = inkOn(b.v);
      ctx.fillText(b.s, b.x, y + lineH / 2);
    }
    this.#legend(ctx, pad, height - 18, max);
    this.#caption(max);
    this.lastDrawMs = performance.now() - t0;
  }

  /** Tokens placed as the text flows (cached per input and width). @param {number} width @param {number} max */
  #layout(width, max) {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const v = /** @type {Float64Array} */ (this.values);
    if (this.layoutFor?.att === att && this.layoutFor.width === width) return this.layoutFor;
    const pad = 12;
    const measure = /** @type {CanvasRenderingContext2D} */ (document.createElement('canvas').getContext('2d'));
    measure.font = FONT15;
    const space = measure.measureText(' ').width;
    /** @type {{x: number, line: number, w: number, s: string, v: number}[]} */
    const boxes = [];
    let x = pad;
    let line = 0;
    let prevSeq = null;
    let prevEnd = 0;
    for (let k = 0; k < att.seq; k++) {
      const sid = att.sequenceIds[k];
      const [s, e] = [att.offsets[2 * k], att.offsets[2 * k + 1]];
      if (sid < 0 || s < 0 || e <= s) continue;
      const text = att.texts[sid] ?? '';
      if (prevSeq !== null && sid !== prevSeq) {
        line += 1.5;
        x = pad;
      } else if (prevSeq !== null) {
        const gap = text.slice(prevEnd, s);
        if (/\n/.test(gap)) { line++; x = pad; } else if (gap.length) x += space;
      }
      const piece = text.slice(s, e);
      const w = measure.measureText(piece).width;
      if (x + w > width - pad && x > pad) { line++; x = pad; }
      boxes.push({ x, line, w, s: piece, v: v[k] / max });
      x += w;
      prevSeq = sid;
      prevEnd = e;
    }
    this.layoutFor = { att, width, boxes, lines: line + 1 };
    return this.layoutFor;
  }

  /** @param {CanvasRenderingContext2D} ctx @param {number} x @param {number} y @param {number} max */
  #legend(ctx, x, y, max) {
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5b6472';
    ctx.fillText('0', x, y + 5);
    for (let i = 0; i < 120; i++) {
      ctx.fillStyle = heatCss(i / 119);
      ctx.fillRect(x + 12 + i, y, 1, 10);
    }
    ctx.fillStyle = '#5b6472';
    ctx.fillText(`${(max * 100).toFixed(1)}% of [CLS]`, x + 138, y + 5);
  }

  /** @param {number} max */
  #caption(max) {
    const att = /** @type {import('../engine-client.js').Attention} */ (this.att);
    const v = /** @type {Float64Array} */ (this.values);
    const pct = (/** @type {number} */ x) => `${(x * 100).toFixed(1)}%`;
    let special = 0;
    for (let k = 0; k < att.seq; k++) if (att.sequenceIds[k] < 0) special += v[k];
    const top = [...v.keys()].filter((k) => att.sequenceIds[k] >= 0).sort((a, b) => v[b] - v[a]).slice(0, 5);
    this.caption.textContent = `Rollout of [CLS] through ${att.layers} layers (heads averaged, identity added, rows ` +
      `renormalised). Special tokens keep ${pct(special)}; strongest inputs: ` +
      `${top.map((k) => `“${att.tokens[k]}” ${pct(v[k])}`).join(', ')}. Colour scale: 0 to ${pct(max)}.`;
    this.canvas.setAttribute('aria-label', this.caption.textContent);
  }
}
