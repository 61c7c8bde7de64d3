// The Chromium half of bench/train_browser.mjs: the package's Trainer in its worker (js/worker.js via
// createWorkerClient, the way a page trains), bert-mini-mlm fetched from /models/, the examples from
// /data/examples.json. One job = one mode at one thread count: the seconds of fit() (head only: the
// feature pass and the epochs over cached features, reported apart).

import { createWorkerClient } from '/pkg/js/worker-client.js';

const job = JSON.parse(new URLSearchParams(location.search).get('job'));
const log = (s) => { document.getElementById('log').textContent += `${s}\n`; };

async function run() {
  const examples = await (await fetch('/data/examples.json')).json();
  const worker = new Worker('/pkg/js/worker.js', { type: 'module' });
  const client = createWorkerClient(worker, { timeout: 600_000 });
  const model = await client.load(`${location.origin}/models/bert-mini-mlm`, { threads: job.threads });
  const meta = model.runtime ?? null;
  const trainer = await client.trainer(model, job.options);
  let featureSeconds = 0;
  const t0 = performance.now();
  const fit = await trainer.fit(examples, { onProgress: (p) => { if (p.phase === 'features') featureSeconds = (performance.now() - t0) / 1000; } });
  const seconds = (performance.now() - t0) / 1000;
  log(`fit ${seconds.toFixed(2)} s`);
  await trainer.dispose();
  await model.dispose();
  client.terminate();
  return { seconds, feature_seconds: fit.feature_seconds ?? featureSeconds, steps: fit.steps, epochs: fit.epochs, loss: fit.loss,
    examples_per_second: fit.examples_per_second, isolated: self.crossOriginIsolated, runtime: meta };
}

run().then((r) => { window.__trainResult = r; }, (e) => { window.__trainResult = { error: String(e?.stack ?? e), code: e?.code }; });
