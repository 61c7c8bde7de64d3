// The demo's Zero-shot and Search tabs in Chromium (cross-origin isolated, threads): each shows what
// the package's Node API returns for the same inputs — zero-shot scores of an NLI model (a relabelled
// copy of bert-mini-sst2), semantic search over the page's corpus with a sentence-transformers folder
// (mean pooling, Dense, Normalize around bert-mini-mlm) and with a plain model (mean pooling) —
// and bad inputs give messages. Models are served from a temp directory: the shared models plus
// those two copies.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantizePng } from './png.mjs';
import { MODELS, SCREENSHOTS, assertClose, openDemo, panelState, plain, runTab, skipReason } from './helpers.mjs';
import { copyModel, setLabels, tempModels } from '../js/helpers/model-copies.js';
import { writeSafetensors } from '../js/helpers/safetensors.js';

const skip = skipReason();
const TOL = 1e-4;
const TEXT = 'The service was slow and the soup was cold, but the dessert was wonderful.';
const LABELS = ['restaurant', 'movie', 'finance', 'complaint'];
const QUERY = 'Someone is playing music.';
const CORPUS = ['A man is eating food.', 'A woman is playing the violin.', 'The stock market fell sharply today.',
  'A band performs songs on stage.', 'It rained all day in the city.'];
const shots = process.env.BERTOLOGY_SCREENSHOTS !== '0';

/** @type {ReturnType<typeof tempModels>} */
let tmp;
/** @type {Record<string, any>} */
const expected = {};

/** A sentence-transformers folder around bert-mini-mlm: mean pooling, Dense 256→64 (tanh), Normalize. */
function stFolder(/** @type {string} */ dir) {
  copyModel(join(MODELS, 'bert-mini-mlm'), dir);
  const st = 'sentence_transformers.models.';
  writeFileSync(join(dir, 'modules.json'), JSON.stringify([{ idx: 0, name: '0', path: '', type: `${st}Transformer` },
    { idx: 1, name: '1', path: '1_Pooling', type: `${st}Pooling` }, { idx: 2, name: '2', path: '2_Dense', type: `${st}Dense` },
    { idx: 3, name: '3', path: '3_Normalize', type: `${st}Normalize` }]));
  mkdirSync(join(dir, '1_Pooling'));
  writeFileSync(join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 256, pooling_mode_mean_tokens: true }));
  mkdirSync(join(dir, '2_Dense'));
  writeFileSync(join(dir, '2_Dense', 'config.json'), JSON.stringify({ in_features: 256, out_features: 64, bias: true,
    activation_function: 'torch.nn.modules.activation.Tanh' }));
  const w = Float32Array.from({ length: 64 * 256 }, (_, i) => Math.sin(i * 12.9898) * 0.0625);
  const b = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i) * 0.01);
  writeFileSync(join(dir, '2_Dense', 'model.safetensors'), writeSafetensors([
    { name: 'linear.weight', dtype: 'F32', shape: [64, 256], bytes: new Uint8Array(w.buffer) },
    { name: 'linear.bias', dtype: 'F32', shape: [64], bytes: new Uint8Array(b.buffer) }]));
}

before(async () => {
  if (skip) return;
  tmp = tempModels('bertology-demo-models-');
  for (const name of readdirSync(MODELS)) if (name.startsWith('bert-mini-')) symlinkSync(join(MODELS, name), join(tmp.root, name));
  copyModel(join(MODELS, 'bert-mini-sst2'), join(tmp.root, 'nli-mini'), (c) => setLabels(c, ['contradiction', 'entailment']));
  stFolder(join(tmp.root, 'st-mini'));
  const { pipeline, semanticSearch } = await import('../../js/index.js');
  const zs = await pipeline('zero-shot-classification', join(tmp.root, 'nli-mini'));
  expected.single = plain(await zs(TEXT, LABELS));
  expected.multi = plain(await zs(TEXT, LABELS, { multi_label: true }));
  await zs.dispose();
  for (const [name, options] of [['st-mini', {}], ['bert-mini-mlm', { pooling: 'mean', normalize: true }]]) {
    const fe = await pipeline('feature-extraction', join(tmp.root, /** @type {string} */ (name)));
    const e = await fe([QUERY, ...CORPUS], options);
    const [n, d] = e.dims;
    const rows = Array.from({ length: n }, (_, i) => Array.from(e.data.slice(i * d, (i + 1) * d)));
    expected[/** @type {string} */ (name)] = semanticSearch([rows[0]], rows.slice(1), { top_k: 5 })[0];
    await fe.dispose();
  }
});
after(() => tmp?.cleanup());

describe('demo: Zero-shot and Search tabs', { skip: skip ?? false, timeout: 600_000 }, () => {
  /** @type {Awaited<ReturnType<typeof openDemo>>} */
  let demo;
  /** @type {import('playwright-core').Page} */
  let page;
  const shot = async (/** @type {string} */ name, /** @type {string} */ selector) => {
    if (!shots) return;
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.mouse.move(0, 0);
    writeFileSync(join(SCREENSHOTS, `${name}.png`), quantizePng(await page.locator(selector).screenshot()));
  };
  before(async () => {
    demo = await openDemo({ isolation: true, models: tmp.root });
    page = demo.page;
  });
  after(async () => { await demo?.close(); });

  test('zero-shot: the NLI model from the catalog; single- and multi-label scores as the Node pipeline', async () => {
    const options = await page.$$eval('#panel-zero-shot select[name=model] option', (os) => os.map((o) => /** @type {HTMLOptionElement} */ (o).value));
    assert.equal(options[0], '/models/nli-mini/', 'the NLI model is offered first');
    const fields = { 'textarea[name=text]': TEXT, 'input[name=labels]': LABELS.join(', '), 'input[name=multi_label]': 'false' };
    const r = await runTab(page, 'zero-shot', fields);
    assert.equal(r.error, undefined);
    assertClose(r.result, expected.single, TOL);
    assert.ok(r.attention && r.attention.tokens.includes('example'), 'the attention of the (text, hypothesis) pair');
    await shot('zero-shot', '#panel-zero-shot');
    const m = await runTab(page, 'zero-shot', { ...fields, 'input[name=multi_label]': 'true' });
    assertClose(m.result, expected.multi, TOL);
  });

  test('zero-shot: bad input gives messages, nothing busy', async () => {
    for (const [fields, re] of /** @type {[Record<string, string>, RegExp][]} */ ([
      [{ 'input[name=labels]': ' , ' }, /at least one candidate label/],
      [{ 'input[name=labels]': 'a, b', 'input[name=template]': 'This is it.' }, /needs \{\} where the label goes/],
      [{ 'input[name=template]': 'This example is {}.', 'select[name=model]': '/models/bert-mini-sst2/' }, /no entailment label/]])) {
      const r = await runTab(page, 'zero-shot', fields);
      assert.match(r.error ?? '', re);
      const state = await panelState(page, 'zero-shot');
      assert.equal(state.busy, false);
      assert.equal(state.spinners, 0);
    }
  });

  test('search: a sentence-transformers model (its own modules) and a plain model (mean pooling) rank as semanticSearch in Node', async () => {
    const fields = { 'input[name=query]': QUERY, 'textarea[name=corpus]': CORPUS.join('\n'), 'select[name=pooling]': 'auto' };
    for (const name of ['st-mini', 'bert-mini-mlm']) {
      const r = await runTab(page, 'search', { ...fields, 'select[name=model]': `/models/${name}/` });
      assert.equal(r.error, undefined, r.error);
      const hits = await page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.tabs.search.hits);
      assert.deepEqual(hits.map((/** @type {any} */ h) => h.corpus_id), expected[name].map((/** @type {any} */ h) => h.corpus_id), name);
      assertClose(hits, expected[name], TOL);
      const shown = await page.$$eval('#panel-search ol.hits li', (li) => li.map((x) => Number(/** @type {HTMLElement} */ (x).dataset.corpusId)));
      assert.deepEqual(shown, expected[name].map((/** @type {any} */ h) => h.corpus_id));
      if (name === 'bert-mini-mlm') await shot('search', '#panel-search');
    }
    const bad = await runTab(page, 'search', { 'input[name=query]': '  ' });
    assert.match(bad.error ?? '', /enter a query/);
    const few = await runTab(page, 'search', { 'input[name=query]': QUERY, 'textarea[name=corpus]': 'only one' });
    assert.match(few.error ?? '', /at least two documents/);
  });
});
