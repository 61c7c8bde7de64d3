// The demo page: runtime status, model progress, the task tabs, the shared attention panel, and a
// test hook (window.__bertologyDemo) that the Playwright tests drive.

import { Engine } from './engine-client.js';
import { el, modelName } from './ui.js';
import { AttentionPanel } from './views/attention-panel.js';
import { createSentimentTab } from './tabs/sentiment.js';
import { createFillMaskTab } from './tabs/fill-mask.js';
import { createNerTab } from './tabs/ner.js';
import { createQaTab } from './tabs/qa.js';
import { createEmbeddingsTab } from './tabs/embeddings.js';
import { createCompareTab } from './tabs/compare.js';
import { createSearchTab } from './tabs/search.js';
import { createZeroShotTab } from './tabs/zero-shot.js';
import { createTeachTab } from './tabs/teach.js';

const $ = (/** @type {string} */ s) => /** @type {HTMLElement} */ (document.querySelector(s));

const status = $('#runtime-status');
const progress = $('#progress');
const progressBar = /** @type {HTMLProgressElement} */ ($('#progress progress'));
const progressLabel = $('#progress .progress-label');

function showRuntime(/** @type {any} */ rt) {
  const isolated = globalThis.crossOriginIsolated === true;
  status.dataset.isolated = String(isolated);
  if (rt) status.dataset.threads = String(rt.threads);
  const threads = rt ? `${rt.threads} ${rt.threads === 1 ? 'thread' : 'threads'}` : 'engine idle';
  status.replaceChildren(
    el('span', { class: `dot ${isolated ? 'ok' : 'warn'}`, 'aria-hidden': 'true' }),
    isolated ? `Cross-origin isolated · ${threads}` : `Not isolated · single-threaded fallback · ${threads}`);
  status.title = isolated ? 'SharedArrayBuffer available: the threaded WebAssembly build runs in a Web Worker.'
    : 'The page is served without COOP/COEP headers, so the single-threaded WebAssembly build is used.';
}

/** @type {Map<string, number>} */
const loading = new Map();
function onProgress(/** @type {{model: string, fraction: number | null, stage: string}} */ p) {
  if (p.stage === 'ready' || p.stage === 'failed') loading.delete(p.model);
  else loading.set(p.model, p.fraction ?? -1);
  if (loading.size === 0) {
    progress.hidden = true;
    return;
  }
  const [model, fraction] = [...loading.entries()].at(-1) ?? ['', -1];
  progress.hidden = false;
  if (fraction >= 0 && fraction < 1 && p.stage !== 'initialising') {
    progressBar.value = fraction;
    progressLabel.textContent = `Downloading ${modelName(model)}… ${(fraction * 100).toFixed(0)}%`;
  } else {
    progressBar.removeAttribute('value');
    progressLabel.textContent = `Initialising ${modelName(model)}…`;
  }
}

async function main() {
  showRuntime(null);
  const engine = new Engine({ onProgress });
  let catalog;
  try {
    catalog = await engine.catalog();
  } catch (e) {
    catalog = { models: [] };
    $('#page-message').replaceChildren(el('div', { class: 'msg msg-error', role: 'alert' }, `Could not list the models: ${e}`));
  }
  const attention = new AttentionPanel('attention');
  /** @type {any} */
  let active = null;
  const ctx = {
    engine, catalog,
    onAttention(/** @type {any} */ att, /** @type {any} */ tab) {
      showRuntime(engine.runtime);
      if (tab === active) attention.setData(att);
      tab.attention = att;
    },
    /** Shows another attention (e.g. another sentence of a batch) in the active tab's panel. */
    showAttention(/** @type {any} */ att) {
      if (!active) return;
      active.attention = att;
      attention.setData(att);
    },
  };
  const tabs = [createSentimentTab(ctx), createFillMaskTab(ctx), createNerTab(ctx), createQaTab(ctx),
    createEmbeddingsTab(ctx), createSearchTab(ctx), createZeroShotTab(ctx), createCompareTab(ctx), createTeachTab(ctx)];
  const compare = /** @type {any} */ (tabs.find((t) => t.id === 'compare'));
  const list = $('#tablist');
  const panels = $('#panels');
  const buttons = tabs.map((t) => el('button', {
    type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, 'data-tab': t.id, class: 'tab',
    onclick: () => select(t.id), onkeydown: (/** @type {KeyboardEvent} */ e) => {
      const i = tabs.indexOf(t);
      const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
      if (next === null) return;
      const to = tabs[(next + tabs.length) % tabs.length];
      select(to.id);
      /** @type {HTMLElement} */ ($(`#tab-${to.id}`)).focus();
    },
  }, t.label));
  list.replaceChildren(...buttons);
  panels.replaceChildren(...tabs.map((t) => t.panel), attention.root);

  /** @param {string} id */
  function select(id) {
    active = tabs.find((t) => t.id === id) ?? tabs[0];
    for (const t of tabs) t.panel.hidden = t !== active;
    for (const b of buttons) {
      const on = b.dataset.tab === active.id;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    }
    attention.root.hidden = !active.usesAttentionPanel;
    if (active.usesAttentionPanel) attention.setData(active.attention ?? null);
    else for (const p of active.panels) p.redraw();
    if (location.hash !== `#${active.id}`) history.replaceState(null, '', `#${active.id}`);
  }
  select(location.hash.slice(1) || 'sentiment');
  addEventListener('hashchange', () => select(location.hash.slice(1)));

  const panelOf = (/** @type {string | undefined} */ which) => (which === 'compare-a' ? compare.panels[0]
    : which === 'compare-b' ? compare.panels[1] : attention);
  // Test hook: drive and inspect the page without depending on its markup.
  Object.assign(globalThis, {
    __bertologyDemo: {
      engine, catalog, tabs: Object.fromEntries(tabs.map((t) => [t.id, t])),
      select,
      /** Runs a tab (after selecting it) and resolves with its result or {error}. */
      run: async (/** @type {string} */ id) => { select(id); return tabs.find((t) => t.id === id)?.run(); },
      runtime: () => engine.runtime,
      panel: panelOf,
      /** The head view's line weights: {layer, heads, tokens, weights: {head: rows}}. */
      headViewWeights: (/** @type {string} */ which) => panelOf(which).head.weights(),
      selectHead: (/** @type {number} */ layer, /** @type {number[]} */ heads, /** @type {string} */ which) => {
        const p = panelOf(which);
        p.head.select(layer, heads);
        p.show('head');
      },
      rollout: (/** @type {string} */ which) => Array.from(panelOf(which).rollout.values ?? []),
      drawTimes: (/** @type {string} */ which) => {
        const p = panelOf(which);
        return { head: p.head.lastDrawMs, model: p.model.lastDrawMs, rollout: p.rollout.lastDrawMs };
      },
    },
  });
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  $('#page-message').replaceChildren(el('div', { class: 'msg msg-error', role: 'alert' }, `The demo failed to start: ${e?.message ?? e}`));
  document.body.dataset.ready = 'error';
});
