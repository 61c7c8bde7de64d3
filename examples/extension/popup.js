// Popup: free text → the background → the offscreen engine; shows the last results.

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
/** @param {any} msg */
const ask = async (msg) => {
  const r = await chrome.runtime.sendMessage({ ...msg, target: 'background' });
  if (r?.error) throw new Error(r.error);
  return r;
};
const pct = (/** @type {number} */ s) => `${(s * 100).toFixed(1)}%`;

/** @param {any} r */
function showResult(r) {
  const out = $('result');
  out.replaceChildren();
  const label = Object.assign(document.createElement('span'), { className: r.label, textContent: r.label });
  out.append(label, ` ${pct(r.score)}`);
  if (r.words?.length) out.append(` · ${r.words.map((/** @type {any} */ w) => w.word).join(', ')}`);
  out.dataset.label = r.label;
  out.dataset.score = String(r.score);
}

async function refresh() {
  const recent = await ask({ type: 'recent' });
  $('recent').replaceChildren(...recent.map((/** @type {any} */ e) => {
    const li = document.createElement('li');
    li.append(Object.assign(document.createElement('span'), { className: e.label, textContent: `${e.label} ${pct(e.score)}` }),
      ` — ${e.text}`);
    return li;
  }));
  const s = await ask({ type: 'status' });
  $('engine').textContent = s.engine
    ? `Model loaded (${(s.heapBytes / 2 ** 20).toFixed(0)} MB wasm, load ${s.loadMs.toFixed(0)} ms, last ${s.lastMs.toFixed(0)} ms)`
    : 'Model not loaded';
}

$('form').addEventListener('submit', async (/** @type {Event} */ e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text) return;
  $('analyse').disabled = true;
  $('result').textContent = 'Analysing…';
  delete $('result').dataset.label;
  try {
    showResult(await ask({ type: 'classify', text }));
  } catch (err) {
    $('result').textContent = `Error: ${/** @type {Error} */ (err).message}`;
  } finally {
    $('analyse').disabled = false;
  }
  await refresh();
});
$('text').addEventListener('keydown', (/** @type {KeyboardEvent} */ e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) $('form').requestSubmit();
});
$('release').addEventListener('click', async () => {
  await ask({ type: 'release' });
  await refresh();
});
refresh();
