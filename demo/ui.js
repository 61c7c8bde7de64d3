// Small DOM helpers shared by the tabs and views.

/**
 * Creates an element: `on*` attributes become listeners, `null`/`false` attributes and children are skipped.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'value' && 'value' in e) /** @type {any} */ (e).value = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'number' ? String(c) : c);
  }
  return e;
}

/** @param {number} x in [0, 1] */
export const pct = (x, digits = 1) => `${(x * 100).toFixed(digits)}%`;

/** @param {number} ms */
export const ms = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** A model's short name from its source ("/models/bert-mini-sst2/" → "bert-mini-sst2"). @param {string} source */
export const modelName = (source) => source.replace(/^\/models\//, '').replace(/\/$/, '');

/** The line under each result: latency and threads. @param {{latencyMs: number, threads: number, variant: string, model: string}} r */
export function resultMeta(r) {
  return el('p', { class: 'result-meta', 'data-latency-ms': r.latencyMs.toFixed(1), 'data-threads': String(r.threads) },
    el('span', {}, `${modelName(r.model)}`),
    el('span', {}, `${ms(r.latencyMs)}`),
    el('span', {}, `${r.threads} ${r.threads === 1 ? 'thread' : 'threads'}${r.variant === 'single' ? ' (single-threaded build)' : ''}`));
}

/**
 * Shows a message in a tab's message area.
 * @param {HTMLElement} box @param {'error' | 'warning' | 'info'} kind @param {string} text
 */
export function message(box, kind, text) {
  box.replaceChildren(el('div', { class: `msg msg-${kind}`, role: kind === 'error' ? 'alert' : 'status', 'data-kind': kind }, text));
}

/**
 * A horizontal bar with a label and a value in [0, 1]; `scale` stretches the bar (not the number),
 * e.g. relative to the top candidate.
 * @param {string} label @param {number} value @param {string} [cls] @param {number} [scale]
 * @param {string} [shown] the number printed (default: the value as a percentage)
 */
export function bar(label, value, cls = '', scale = 1, shown = pct(value)) {
  return el('div', { class: `bar-row ${cls}` },
    el('span', { class: 'bar-label' }, label),
    el('span', { class: 'bar-track', role: 'meter', 'aria-valuemin': '0', 'aria-valuemax': '1', 'aria-valuenow': value.toFixed(4), 'aria-label': label },
      el('span', { class: 'bar-fill', style: `width:${Math.max(0.5, Math.min(100, value * scale * 100)).toFixed(2)}%` })),
    el('span', { class: 'bar-value' }, shown));
}
