// Training in a worker (the browser path; here a Node worker_threads worker running the same
// bertology/worker entry): progress events cross the boundary, an aborted signal cancels the run in the
// worker, save() returns the Hugging Face folder as bytes that load in the page, and predictions of the
// reloaded model equal the worker trainer's.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { BertologyModel, createWorkerClient, pipeline, shutdown } from '../../js/index.js';
import { SKIP_REASON } from './helpers/shared.js';
import { tempModels, tinyWithTokenizer } from './helpers/model-copies.js';

const tmp = tempModels('bertology-train-worker-');
/** @type {Worker | null} */
let worker = null;
after(async () => { await worker?.terminate(); tmp.cleanup(); await shutdown(); });

const examples = Array.from({ length: 40 }, (_, i) => (i % 2
  ? { text: `the movie was good ${i % 7 ? 'nice' : 'great'}`, label: 'positive' }
  : { text: `the movie was bad ${i % 5 ? 'sad' : 'awful'}`, label: 'negative' }));

test('Trainer in a worker: progress, cancel, save → bytes that pipeline() loads with the same predictions', { skip: SKIP_REASON }, async () => {
  const dir = tinyWithTokenizer('tiny-bert-bert-maskedlm', join(tmp.root, 'tiny'));
  worker = new Worker(new URL('../../js/worker.js', import.meta.url));
  const client = createWorkerClient(worker);
  const model = await client.load(dir, { threads: 1 });
  const labels = ['negative', 'positive'];
  const trainer = await client.trainer(model, { labels, epochs: 200, batch_size: 4, optimizer: { lr: 1e-2 } });
  assert.deepEqual(trainer.labels, labels);

  // cancel a long run from the page
  const controller = new AbortController();
  /** @type {any[]} */
  const seen = [];
  await assert.rejects(trainer.fit(examples, { signal: controller.signal, onProgress: (p) => {
    seen.push(p);
    if (p.phase === 'train' && p.step >= 20) controller.abort();
  } }), (e) => e.code === 'ABORTED' && e.name === 'AbortError');
  assert.ok(seen.some((p) => p.phase === 'features') && seen.some((p) => p.phase === 'train' && Number.isFinite(p.loss)));
  assert.ok(seen.at(-1).step < 2000, 'the run stopped early');

  // a short complete run, then the folder
  await trainer.reset({ epochs: 3 });
  const fit = await trainer.fit(examples);
  assert.equal(fit.steps, 30);
  const ev = await trainer.evaluate(examples);
  assert.ok(ev.accuracy >= 0 && ev.accuracy <= 1);
  await assert.rejects(trainer.fit([{ text: 'x', label: 'positive' }, { text: 'y', label: 'unknown' }]),
    (e) => e.code === 'INVALID_ARGUMENT' && e.index === 1 && e.value === 'unknown');
  const files = await trainer.save();
  assert.ok(files['model.safetensors'] instanceof Uint8Array && files['config.json'] instanceof Uint8Array);
  const texts = ['the movie was good', 'bad sad film'];
  const remote = await trainer.predict(texts);
  const classifier = await pipeline('text-classification', files, { threads: 1 });
  const local = await classifier(texts, { top_k: null });
  texts.forEach((t, i) => {
    assert.deepEqual(local[i].map((x) => x.label), remote[i].map((/** @type {any} */ x) => x.label), t);
    local[i].forEach((x, k) => assert.ok(Math.abs(x.score - remote[i][k].score) < 1e-5));
  });
  await classifier.dispose();
  assert.equal(await trainer.dispose(), true);
  await model.dispose();
  client.terminate();
  worker = null;
});
