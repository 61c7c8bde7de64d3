// Sentiment of the text box, computed in the browser by Bertology — on the page, or in a Web Worker
// with ?worker=1 (inference then never blocks the page). ?model=<URL of a model folder> picks the
// model (config.json, model.safetensors or its shards, tokenizer.json; default /models/bert-mini-sst2/),
// ?threads=N the engine threads (default: the cores, at most 4; 1 without cross-origin isolation).
import { createWorkerClient, pipeline } from 'bertology';

const params = new URLSearchParams(location.search);
const model = params.get('model') ?? '/models/bert-mini-sst2/';
const inWorker = params.get('worker') === '1';
const threads = params.has('threads') ? Number(params.get('threads')) : undefined;

const text = /** @type {HTMLTextAreaElement} */ (document.getElementById('text'));
const button = /** @type {HTMLButtonElement} */ (document.getElementById('run'));
const result = /** @type {HTMLElement} */ (document.getElementById('result'));

/**
 * The classifier and the runtime it runs on (which wasm build, how many threads).
 * @returns {Promise<{classify: (text: string) => Promise<{label: string, score: number}>, runtime: object}>}
 */
async function load() {
  if (inWorker) {
    const client = createWorkerClient(new Worker(new URL('./worker.js', import.meta.url), { type: 'module' }));
    const classifier = await client.pipeline('sentiment-analysis', model, { threads });
    return { classify: async (t) => (await classifier(t))[0], runtime: classifier.model?.runtime ?? {} };
  }
  const classifier = await pipeline('sentiment-analysis', model, { threads });
  return { classify: async (t) => (await classifier(t))[0], runtime: classifier.model.runtime };
}

async function main() {
  try {
    const { classify, runtime } = await load();
    const run = async () => {
      result.textContent = JSON.stringify({ ...(await classify(text.value)), runtime }, null, 2);
      // for tests and benchmarks: data-state, and data-ms = time from navigation to the first result
      result.dataset.ms ??= performance.now().toFixed(1);
      result.dataset.state = 'done';
    };
    button.addEventListener('click', run);
    button.disabled = false;
    await run();
  } catch (e) {
    result.textContent = String(e);
    result.dataset.state = 'error';
  }
}

main();
