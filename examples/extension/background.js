// Service worker: entry points (context menu, keyboard command, messages) and routing. It holds no
// model: inference runs in the offscreen document's Web Worker (offscreen.js, engine-worker.js),
// which keeps the model loaded between requests and asks to be closed when idle.
//
// Messages (chrome.runtime.sendMessage, all with `target: 'background'`):
//   {type: 'classify', text}      → Result (engine-worker.js), also stored as a recent result
//   {type: 'analyse-tab', tabId, frameId?} → the page's selection analysed, the tooltip shown; → Result
//   {type: 'recent'}              → Result[] (newest first)
//   {type: 'status'}              → {loaded, ...engine status}
//   {type: 'release'}             → closes the offscreen document (frees the model)
//   {type: 'offscreen-idle'}      (from offscreen.js) same as release
// Failures reply {error: string}.

const MENU_ID = 'bertology-analyse';
const RECENT_MAX = 10;
let creating = /** @type {Promise<void> | null} */ (null);

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: MENU_ID, title: 'Analyse sentiment', contexts: ['selection'] });
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId !== MENU_ID || !tab?.id) return;
  analyseTab(tab.id, info.frameId ?? 0, info.selectionText).catch((e) => console.warn('bertology:', e));
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command !== 'analyse-selection' || !tab?.id) return;
  analyseTab(tab.id, 0).catch((e) => console.warn('bertology:', e));
});

chrome.runtime.onMessage.addListener((msg, _sender, reply) => {
  if (msg?.target !== 'background') return false;
  handle(msg).then(reply, (e) => reply({ error: String(e?.message ?? e) }));
  return true; // async reply
});

/** @param {any} msg */
async function handle(msg) {
  switch (msg.type) {
    case 'classify': return classify(String(msg.text ?? ''));
    case 'analyse-tab': return analyseTab(msg.tabId, msg.frameId ?? 0);
    case 'recent': return (await chrome.storage.session.get('recent')).recent ?? [];
    case 'status': return (await hasOffscreen()) ? { loaded: true, ...(await toOffscreen({ type: 'status' })) } : { loaded: false };
    case 'release':
    case 'offscreen-idle': return release();
    default: throw new Error(`unknown message type ${msg.type}`);
  }
}

async function hasOffscreen() {
  const contexts = await chrome.runtime.getContexts({ contextTypes: ['OFFSCREEN_DOCUMENT'] });
  return contexts.length > 0;
}

async function ensureOffscreen() {
  if (await hasOffscreen()) return;
  creating ??= chrome.offscreen.createDocument({
    url: 'offscreen.html',
    reasons: ['WORKERS'],
    justification: 'Runs the sentiment model (WebAssembly) in a Web Worker and keeps it loaded between requests.',
  }).finally(() => { creating = null; });
  await creating;
}

async function release() {
  if (creating) await creating.catch(() => {});
  if (await hasOffscreen()) await chrome.offscreen.closeDocument();
  return { released: true };
}

/** @param {any} msg */
async function toOffscreen(msg) {
  await ensureOffscreen();
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await chrome.runtime.sendMessage({ ...msg, target: 'offscreen' });
      if (r?.error) throw new Error(r.error);
      return r;
    } catch (e) {
      // the document exists but its script has not registered its listener yet
      if (attempt >= 20 || !/Receiving end does not exist/.test(String(e))) throw e;
      await new Promise((ok) => setTimeout(ok, 25));
    }
  }
}

/** @param {string} text */
async function classify(text) {
  if (!text.trim()) throw new Error('no text to analyse');
  const result = await toOffscreen({ type: 'classify', text });
  const { recent = [] } = await chrome.storage.session.get('recent');
  const entry = { text: text.slice(0, 200), label: result.label, score: result.score, at: Date.now() };
  await chrome.storage.session.set({ recent: [entry, ...recent].slice(0, RECENT_MAX) });
  return result;
}

/**
 * The selection in a tab → tooltip with the result. Works on the active tab after the user's
 * gesture (context menu or shortcut: activeTab), or where host permissions allow.
 * @param {number} tabId
 * @param {number} frameId
 * @param {string} [fallbackText] the context menu's selectionText
 */
async function analyseTab(tabId, frameId, fallbackText) {
  const target = { tabId, frameIds: [frameId] };
  await chrome.scripting.executeScript({ target, files: ['content.js'] });
  const send = (/** @type {any} */ m) => chrome.tabs.sendMessage(tabId, m, { frameId });
  const selected = await send({ type: 'bertology:begin' });
  const text = (selected?.text || fallbackText || '').trim();
  if (!text) {
    await send({ type: 'bertology:show', error: 'Select some text first.' });
    throw new Error('no text selected');
  }
  try {
    const result = await classify(text);
    await send({ type: 'bertology:show', result });
    return result;
  } catch (e) {
    await send({ type: 'bertology:show', error: String(/** @type {Error} */ (e)?.message ?? e) }).catch(() => {});
    throw e;
  }
}
