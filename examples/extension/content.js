// Injected on demand (chrome.scripting, after the context menu or the shortcut) into the page's
// isolated world. Reads the selection and shows the result in a small tooltip next to it. Sends
// nothing itself: the service worker asks (`bertology:begin` → {text}) and tells (`bertology:show`).

(() => {
  if (globalThis.__bertologyTooltip) return; // injected again: the listener is already there
  globalThis.__bertologyTooltip = true;

  const HOST_ID = 'bertology-tooltip-host';
  let anchor = /** @type {DOMRect | null} */ (null);

  const CSS = `
    :host { all: initial; }
    .tip { position: absolute; z-index: 2147483647; max-width: 22rem; box-sizing: border-box;
      font: 14px/1.4 system-ui, sans-serif; color: #111; background: #fff; border: 1px solid #888;
      border-radius: 6px; box-shadow: 0 2px 10px rgb(0 0 0 / .25); padding: .5rem 2rem .5rem .75rem; }
    .label { font-weight: 600; }
    .POSITIVE { color: #0a6b2d; } .NEGATIVE { color: #a11; }
    .words { margin: .25rem 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .25rem; }
    .words li { background: #eee; border-radius: 3px; padding: 0 .3rem; }
    .muted { color: #555; font-size: 12px; }
    button { position: absolute; top: .25rem; right: .25rem; font: inherit; border: 0; background: none;
      cursor: pointer; padding: 0 .35rem; border-radius: 3px; }
    button:focus-visible { outline: 2px solid #1a5fb4; }
    @media (prefers-color-scheme: dark) {
      .tip { color: #eee; background: #222; border-color: #777; } .words li { background: #444; }
      .POSITIVE { color: #6fdc8c; } .NEGATIVE { color: #ff8a8a; } .muted { color: #bbb; } button { color: #eee; }
    }`;

  function close() {
    document.getElementById(HOST_ID)?.remove();
    document.removeEventListener('keydown', onKey, true);
    document.removeEventListener('mousedown', onOutside, true);
  }
  /** @param {KeyboardEvent} e */
  function onKey(e) { if (e.key === 'Escape') close(); }
  /** @param {MouseEvent} e */
  function onOutside(e) { if (!(e.target instanceof Element && e.target.id === HOST_ID)) close(); }

  /**
   * @param {(tip: HTMLElement) => void} fill
   * @param {Record<string, string>} [data] data-* attributes on the host (for tests and page tools)
   */
  function render(fill, data = {}) {
    close();
    const host = document.createElement('div');
    host.id = HOST_ID;
    for (const [k, v] of Object.entries(data)) host.dataset[k] = v;
    const root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = CSS;
    const tip = document.createElement('div');
    tip.className = 'tip';
    tip.setAttribute('role', 'status'); // announced politely by screen readers
    tip.setAttribute('aria-live', 'polite');
    tip.setAttribute('aria-label', 'Sentiment analysis');
    const r = anchor ?? new DOMRect(16, 16, 0, 0);
    tip.style.left = `${Math.max(4, window.scrollX + r.left)}px`;
    tip.style.top = `${window.scrollY + r.bottom + 6}px`;
    fill(tip);
    const x = document.createElement('button');
    x.type = 'button';
    x.textContent = '×';
    x.setAttribute('aria-label', 'Close (Escape)');
    x.addEventListener('click', close);
    tip.append(x);
    root.append(style, tip);
    document.documentElement.append(host);
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('mousedown', onOutside, true);
  }

  /** @param {string} text @param {string} [cls] */
  const span = (text, cls = '') => Object.assign(document.createElement('span'), { textContent: text, className: cls });

  /** @param {any} result */
  function showResult(result) {
    render((tip) => {
      const pct = `${(result.score * 100).toFixed(1)}%`;
      const name = result.label.charAt(0) + result.label.slice(1).toLowerCase();
      tip.append(span(name, `label ${result.label}`), span(` ${pct}`));
      if (result.words?.length) {
        const list = document.createElement('ul');
        list.className = 'words';
        list.setAttribute('aria-label', 'Words that weighed most');
        for (const w of result.words) list.append(Object.assign(document.createElement('li'), { textContent: w.word }));
        tip.append(list);
      }
      tip.append(document.createElement('br'), span(`on this device · ${(result.inferenceMs + (result.explainMs ?? 0)).toFixed(0)} ms`, 'muted'));
    }, { label: result.label, score: String(result.score), words: (result.words ?? []).map((/** @type {any} */ w) => w.word).join(' ') });
  }

  chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
    if (msg?.type === 'bertology:begin') {
      const sel = window.getSelection();
      let text = sel?.toString() ?? '';
      anchor = sel && sel.rangeCount ? sel.getRangeAt(0).getBoundingClientRect() : null;
      const field = /** @type {any} */ (document.activeElement);
      if (!text.trim() && field && typeof field.selectionStart === 'number' && /^(TEXTAREA|INPUT)$/.test(field.tagName)) {
        text = String(field.value).slice(field.selectionStart, field.selectionEnd); // selections inside form fields
        anchor = field.getBoundingClientRect();
      }
      if (text.trim()) render((tip) => tip.append(span('Analysing sentiment…', 'muted')), { state: 'busy' });
      reply({ text });
    } else if (msg?.type === 'bertology:show') {
      if (msg.error) render((tip) => tip.append(span(msg.error)), { state: 'error' });
      else showResult(msg.result);
      reply({ shown: true });
    }
    return false;
  });
})();
