// Engine failures reach JS with the engine's code (src/core/status.h StatusCode → BertologyError.code),
// not one catch-all: a program can tell a bad request from a bad checkpoint, a limit, an unsupported
// model. One case per code from the real entry points (load, forward, tokenize, explain), in Node.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyError, BertologyModel } from '../../js/index.js';
import { explain } from '../../js/explain/index.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';

const TINY = 'tiny-bert-bert-sequenceclassification';
/** @type {Record<string, Uint8Array>} */
let files;
/** @type {BertologyModel} */
let model;

before(async () => {
  if (SKIP_REASON) return;
  files = {
    ...readModelFiles(sharedPath('models', 'tiny', TINY), ['config.json', 'model.safetensors']),
    ...readModelFiles(sharedPath('tokenizers', 'bert-base-uncased'), ['tokenizer.json', 'tokenizer_config.json']),
  };
  model = await BertologyModel.load(files, { threads: 1 });
});
after(() => model?.dispose());

/**
 * @param {() => unknown} fn
 * @param {string} code
 * @param {RegExp} pattern
 */
async function assertCode(fn, code, pattern) {
  const err = await Promise.resolve().then(fn).then(() => null, (e) => e);
  assert.ok(err instanceof BertologyError, `expected a BertologyError, got ${err}`);
  assert.equal(err.code, code, err.message);
  assert.match(err.message, pattern);
}

/** @param {(config: any) => void} edit */
function withConfig(edit) {
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  edit(config);
  return { ...files, 'config.json': new TextEncoder().encode(JSON.stringify(config)) };
}

test('error codes: loading', { skip: SKIP_REASON }, async () => {
  await assertCode(() => BertologyModel.load(withConfig((c) => { c.model_type = 'gpt2'; }), { threads: 1 }),
    'UNSUPPORTED', /gpt2/);
  await assertCode(() => BertologyModel.load(withConfig((c) => { c.hidden_size = 64; }), { threads: 1 }),
    'BAD_CHECKPOINT', /shape/);
  await assertCode(() => BertologyModel.load({ ...files, 'config.json': new TextEncoder().encode('{') }, { threads: 1 }),
    'BAD_CHECKPOINT', /config\.json/);
  await assertCode(() => BertologyModel.load(files, { threads: 1, limits: { max_header_bytes: 64 } }),
    'LIMIT', /max_header_bytes=64/);
  await assertCode(() => BertologyModel.load(files, { threads: 1, limits: { max_batch: 'x' } }),
    'INVALID_ARGUMENT', /max_batch/);
});

test('error codes: forward, tokenize, explain; the model keeps working', { skip: SKIP_REASON }, async () => {
  await assertCode(() => model.forward({ input_ids: { data: Int32Array.of(101, 5000000, 102), dims: [1, 3] } }),
    'INVALID_ARGUMENT', /outside the vocabulary/);
  await assertCode(() => model.forward({ input_ids: { data: new Int32Array(600).fill(5), dims: [1, 600] } }),
    'LIMIT', /exceeds the model's maximum/);
  await assertCode(() => model.tokenize(new Uint8Array([0x61, 0xff])), 'INVALID_ARGUMENT', /UTF-8/);
  await assertCode(() => explain(model, 'text-classification', '!', { samples: 0, method: 'lime' }),
    'INVALID_ARGUMENT', /samples/);
  // The engine's own check of explain options (the JS layer never sends this).
  const explainer = new model.runtime.module.Explainer(model.raw);
  try {
    const r = explainer.explain(Int32Array.of(101, 5, 102), null, Int32Array.of(-1, 0, -1), '{"steps": "many"}');
    assert.equal(r.code, 'INVALID_ARGUMENT');
    assert.match(r.error, /steps/);
  } finally {
    explainer.delete();
  }
  assert.deepEqual(model.forward('!').logits?.dims, [1, 3]);
});
