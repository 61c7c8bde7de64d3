// The demo offers the q8 conversions of its models (demo/server.mjs: made with `bertology convert` into
// build/demo-models/, never committed): models.json lists them with their size, and in Chromium the
// sentiment tab on the q8 folder gives the Node pipeline's result on the same folder, downloading the
// small file only (oracle for "same result": the Node API on the same weights; bitwise equality with
// load-time q8 is tests/js/convert.test.mjs).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '../../js/index.js';
import { Q8_DIR } from '../../demo/server.mjs';
import { openDemo, plain, runTab, skipReason } from '../demo/helpers.mjs';

const skip = skipReason() ?? false;
const TEXT = 'A gorgeous, witty film that never loses its nerve.';

/** @type {Awaited<ReturnType<typeof openDemo>>} */
let demo;
before(async () => { if (!skip) demo = await openDemo({ isolation: true }); });
after(() => demo?.close());

test('demo: the q8 conversions are listed with their size and run in the page like the Node pipeline', { skip }, async (t) => {
  const catalog = await demo.page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.catalog);
  const byName = Object.fromEntries(catalog.models.map((/** @type {any} */ m) => [m.name, m]));
  for (const name of ['bert-mini-sst2', 'bert-mini-mlm', 'bert-mini-conll03', 'bert-mini-squad']) {
    const q8 = byName[`${name}-q8`];
    assert.ok(q8, `${name}-q8 listed`);
    assert.equal(q8.url, `/models-q8/${name}-q8/`);
    assert.equal(q8.dtype, 'q8');
    assert.equal(q8.task, byName[name].task);
    assert.equal(q8.bytes, statSync(join(Q8_DIR, `${name}-q8`, 'model.safetensors')).size);
    t.diagnostic(`${name}: ${(byName[name].bytes / 1e6).toFixed(1)} MB (${byName[name].dtype}) → ${name}-q8 ${(q8.bytes / 1e6).toFixed(1)} MB`);
  }
  const before = demo.requests.length;
  const r = await runTab(demo.page, 'sentiment', { 'select[name=model]': '/models-q8/bert-mini-sst2-q8/', 'textarea[name=text]': TEXT });
  assert.equal(r.error, undefined, r.error);
  const node = await pipeline('sentiment-analysis', join(Q8_DIR, 'bert-mini-sst2-q8'), { threads: 1 });
  try {
    // The q8 logits are bitwise equal in every build (tests/js/builds.test.mjs); the page runs the
    // relaxed-SIMD build in Chromium's V8 and Node 20 the SIMD128 one, and the two V8s' Math.exp in the
    // softmax may differ in the last bit of a double (1e-12 is far below a float32 logit's last bit).
    const want = plain(await node(TEXT, { top_k: null }));
    assert.deepEqual(r.result.map((/** @type {any} */ x) => x.label), want.map((/** @type {any} */ x) => x.label), 'the page and Node agree');
    for (const [i, x] of want.entries()) {
      assert.ok(Math.abs(r.result[i].score - x.score) <= 1e-12, `score ${i}: page ${r.result[i].score}, Node ${x.score}`);
    }
  } finally {
    await node.dispose();
  }
  const fetched = demo.requests.slice(before).map((u) => new URL(u).pathname).filter((p) => p.startsWith('/models'));
  assert.ok(fetched.includes('/models-q8/bert-mini-sst2-q8/model.safetensors'), fetched.join(' '));
  assert.ok(!fetched.some((p) => p.startsWith('/models/')), `nothing of the original folder: ${fetched.join(' ')}`);
});
