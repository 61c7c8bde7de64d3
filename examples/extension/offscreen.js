// Offscreen document: owns the engine's Web Worker (engine-worker.js) and relays the service
// worker's requests to it. After `IDLE_MS` without a request it terminates the worker (which frees
// the wasm heap and the model) and asks the service worker to close this document.

import { IDLE_MS } from './config.js';

let worker = /** @type {Worker | null} */ (null);
let nextId = 1;
const pending = new Map();
let idleTimer = 0;

function startWorker() {
  const w = new Worker('engine-worker.js', { type: 'module' });
  w.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    pending.delete(data.id);
    if (data.error) p.reject(new Error(data.error));
    else p.resolve(data.value);
  };
  w.onerror = (e) => {
    e.preventDefault();
    const error = new Error(`engine worker failed: ${e.message || 'could not start'}`);
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker = null;
  };
  return w;
}

/** @param {string} op @param {any} payload */
function call(op, payload = {}) {
  worker ??= startWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker?.postMessage({ id, op, ...payload });
  });
}

function touch() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (pending.size) return touch();
    worker?.terminate();
    worker = null;
    chrome.runtime.sendMessage({ target: 'background', type: 'offscreen-idle' }).catch(() => {});
  }, IDLE_MS);
}

chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
  if (msg?.target !== 'offscreen') return false;
  if (msg.type === 'classify') touch(); // a status query does not keep the model alive
  const op = msg.type === 'classify' ? call('classify', { text: msg.text })
    : msg.type === 'status' ? (worker ? call('status') : Promise.resolve({ engine: false }))
      : Promise.reject(new Error(`unknown request ${msg.type}`));
  op.then(reply, (e) => reply({ error: String(e?.message ?? e) })).finally(() => msg.type === 'classify' && touch());
  return true;
});
touch();
