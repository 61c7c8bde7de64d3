// Colours shared by the views: one colour per attention head, the heat-map scale, and the diverging
// red/white/blue scale of the explanations.

export const HEAD_COLORS = ['#3b6fd8', '#e8772e', '#2f9e68', '#d64550', '#8a5cc7', '#1f9bb0', '#c6a21b', '#d45fa4',
  '#6b7a8f', '#7fa33a', '#a0522d', '#3f4fb3', '#0f8f8f', '#b03a2e', '#5b8def', '#9c6b00'];

/** @param {number} h */
export const headColor = (h) => HEAD_COLORS[h % HEAD_COLORS.length];

// Heat scale: white → light blue → deep blue (perceptually ordered, prints well).
const STOPS = [[255, 255, 255], [158, 202, 225], [49, 130, 189], [8, 48, 107]];

/**
 * @param {number} v in [0, 1]
 * @returns {[number, number, number]}
 */
export function heatRgb(v) {
  const x = Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const t = x - i;
  const a = STOPS[i];
  const b = STOPS[i + 1];
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t].map(Math.round);
}

/** @param {number} v */
export function heatCss(v) {
  const [r, g, b] = heatRgb(v);
  return `rgb(${r} ${g} ${b})`;
}

/** Text colour readable on heatCss(v). @param {number} v */
export const inkOn = (v) => (v > 0.55 ? '#fff' : '#1b2330');

// Diverging scale for signed attributions (ColorBrewer RdBu): −1 red, 0 white, +1 blue.
const POS = [[255, 255, 255], [209, 229, 240], [103, 169, 207], [33, 102, 172]];
const NEG = [[255, 255, 255], [253, 219, 199], [239, 138, 98], [178, 24, 43]];

/**
 * @param {number} v in [−1, 1] (clamped)
 * @returns {[number, number, number]}
 */
export function divergingRgb(v) {
  const s = Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
  const stops = s < 0 ? NEG : POS;
  const x = Math.abs(s) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  return /** @type {[number, number, number]} */ (stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * t)));
}

/** @param {number} v in [−1, 1] */
export const divergingCss = (v) => `rgb(${divergingRgb(v).join(' ')})`;

/** Text colour readable on divergingCss(v). @param {number} v */
export const divergingInk = (v) => (Math.abs(v) > 0.6 ? '#fff' : '#1b2330');

/** The diverging scale from `lo` (−1 or 0) to +1 as a CSS gradient, left to right. @param {number} [lo] */
export function divergingGradient(lo = -1) {
  const stops = [-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1].filter((v) => v >= lo);
  return `linear-gradient(to right, ${stops.map(divergingCss).join(', ')})`;
}

/**
 * Prepares a cleared canvas for CSS size w × h at the device pixel ratio (at most `maxDpr`); returns
 * its 2D context in CSS pixels. The bitmap is only reallocated when its size changes.
 * @param {HTMLCanvasElement} canvas @param {number} w @param {number} h @param {number} [maxDpr]
 */
export function sizeCanvas(canvas, w, h, maxDpr = 2) {
  const dpr = Math.min(maxDpr, globalThis.devicePixelRatio || 1);
  const W = Math.max(1, Math.round(w * dpr));
  const H = Math.max(1, Math.round(h * dpr));
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  } else {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.globalAlpha = 1;
    ctx.clearRect(0, 0, W, H);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
