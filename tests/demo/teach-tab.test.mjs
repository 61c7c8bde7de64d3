// The demo's Teach tab in Chromium (cross-origin isolated, the Trainer in the page's worker): training
// on the sample examples gives the held-out accuracy and loss the package's Trainer gives in Node on the
// same split and options (the oracle: the Node API), "Try it" classifies with the saved folder as the
// Node-saved folder does (with its attention), Cancel stops a long run, bad data gives a message.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MODELS, openDemo, panelState, skipReason } from './helpers.mjs';

const skip = skipReason();
/** @type {Record<string, any>} */
const expected = {};

describe('demo: Teach tab', { skip: skip ?? false, timeout: 600_000 }, () => {
  /** @type {Awaited<ReturnType<typeof openDemo>>} */
  let demo;
  /** @type {import('playwright-core').Page} */
  let page;
  before(async () => {
    demo = await openDemo({ isolation: true });
    page = demo.page;
    const sample = await page.$eval('#panel-teach textarea[name=examples]', (e) => /** @type {HTMLTextAreaElement} */ (e).value);
    const { BertologyModel, Trainer, parseDelimited, pipeline } = await import('../../js/index.js');
    const examples = parseDelimited(sample).map((x) => ({ text: x.text, label: String(x.label) }));
    const labels = [...new Set(examples.map((x) => x.label))].sort();
    const model = await BertologyModel.load(join(MODELS, 'bert-mini-mlm'));
    const trainer = await Trainer.create(model, { labels, epochs: 20, batch_size: 8, seed: 42, optimizer: { lr: 0.01 } });
    const fit = await trainer.fit(examples.filter((_, i) => i % 5 !== 4));
    const ev = await trainer.evaluate(examples.filter((_, i) => i % 5 === 4));
    const classifier = await pipeline('text-classification', await trainer.save());
    Object.assign(expected, { loss: fit.loss, accuracy: ev.accuracy, labels, tried: await classifier('a warm, funny and touching film', { top_k: null }) });
    await classifier.dispose();
    model.dispose();
  });
  after(async () => { await demo?.close(); });

  const train = async () => {
    await page.evaluate(() => { const d = /** @type {any} */ (window).__bertologyDemo; d.select('teach'); d.tabs.teach.last = undefined; });
    await page.click('#panel-teach [data-action=train]');
    await page.waitForFunction(() => { const t = /** @type {any} */ (window).__bertologyDemo.tabs.teach; return t.last !== undefined && !t.busy; }, null, { timeout: 300_000 });
    return page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.tabs.teach.last);
  };

  test('trains in the worker as the Node Trainer does; Try it = the saved folder in Node', async () => {
    const r = await train();
    assert.equal(r.error, undefined, r.error);
    assert.deepEqual(r.labels, expected.labels);
    assert.equal(r.accuracy, expected.accuracy);
    assert.ok(Math.abs(r.loss - expected.loss) < 1e-6, `loss ${r.loss} vs ${expected.loss}`);
    assert.ok(r.losses.length >= 2 && r.losses.at(-1) < r.losses[0], 'the loss curve goes down');
    assert.ok(await page.locator('#panel-teach .loss-curve polyline').count() === 1);
    const tried = await page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.tabs.teach.tryIt());
    assert.equal(tried.error, undefined, tried.error);
    assert.deepEqual(tried.result.map((/** @type {any} */ x) => x.label), expected.tried.map((/** @type {any} */ x) => x.label));
    tried.result.forEach((/** @type {any} */ x, /** @type {number} */ k) => assert.ok(Math.abs(x.score - expected.tried[k].score) < 1e-4));
    assert.ok(tried.attention && tried.attention.tokens.includes('warm'), 'the trained model\'s attention is shown');
    const files = await page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.tabs.teach.download());
    assert.deepEqual([...files].sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  });

  test('Cancel stops a long run; bad data gives a message and nothing stays busy', async () => {
    await page.fill('#panel-teach input[name=epochs]', '200');
    await page.evaluate(() => { const d = /** @type {any} */ (window).__bertologyDemo; d.tabs.teach.last = undefined; });
    await page.click('#panel-teach [data-action=train]');
    await page.waitForFunction(() => /step \d+\//.test(document.querySelector('#panel-teach [data-role=train-stats]')?.textContent ?? ''), null, { timeout: 120_000 });
    await page.click('#panel-teach [data-action=cancel]');
    await page.waitForFunction(() => { const t = /** @type {any} */ (window).__bertologyDemo.tabs.teach; return t.last !== undefined && !t.busy; }, null, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).__bertologyDemo.tabs.teach.last.error), 'Training cancelled.');
    await page.fill('#panel-teach input[name=epochs]', '20');
    await page.fill('#panel-teach textarea[name=examples]', 'text,label\ngood,positive\nfine,positive\nnice,positive\ngreat,positive\n');
    const r = await train();
    assert.match(r.error ?? '', /at least 4 examples of at least 2 labels/);
    const state = await panelState(page, 'teach');
    assert.equal(state.spinners, 0);
    assert.equal(await page.$eval('#panel-teach', (p) => p.hasAttribute('aria-busy')), false);
    assert.equal(await page.$eval('#panel-teach [data-action=train]', (b) => /** @type {HTMLButtonElement} */ (b).disabled), false);
    await page.fill('#panel-teach textarea[name=examples]', 'text,label\ngood,positive\nbad,negative\nfine,positive\nawful,negative\n');
    await page.selectOption('#panel-teach select[name=mode]', 'lora');
    const lora = await train();
    assert.ok(lora.error === undefined || /not in this build|does not have yet/.test(lora.error), lora.error);
    assert.deepEqual(demo.errors, []);
  });
});
