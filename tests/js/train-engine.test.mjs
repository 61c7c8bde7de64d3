// The engine's Trainer binding (src/bindings/train_bindings.cc) in the wasm build: what the native
// tests (tests/native/test_train.cc: finite differences, torch autograd, AdamW formula) cannot see —
// the 32-bit build, the JS values in and out, errors as objects, state round trips through a
// Uint8Array, the model untouched, memory given back on delete(). Tiny models: ~2 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const ids = Int32Array.from([2, 10, 11, 12, 13, 3, 2, 20, 21, 22, 3, 0, 2, 30, 31, 3, 0, 0]);
const mask = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]);
const batch = 3, seq = 6;
const labels = Int32Array.from([0, 1, 2]);
const options = (/** @type {object} */ extra) => JSON.stringify({ task: 'sequence', num_labels: 3,
  optimizer: { lr: 1e-2, total_steps: 20, warmup_steps: 2 }, seed: 7, ...extra });

test('Trainer binding: steps, errors, resume, features, export', { skip: SKIP_REASON }, async () => {
  const model = await BertologyModel.load(sharedPath('models/tiny/tiny-bert-bert-maskedlm'));
  const engine = /** @type {any} */ (model.runtime).module;
  const before = model.raw.forward(ids, null, mask, batch, seq, 0, null, null);
  const heapBefore = JSON.parse(engine.heapStats()).in_use_bytes;
  try {
    const bad = new engine.Trainer(model.raw, options({ optimizer: { lr: -1, total_steps: 3 } }));
    assert.equal(bad.error().code, 'INVALID_ARGUMENT');
    bad.delete();
    const unknown = new engine.Trainer(model.raw, options({ label_smoothing: 0.1 }));
    assert.match(unknown.error().error, /unknown option 'label_smoothing'/);
    unknown.delete();
    const shape = new engine.Trainer(model.raw, options({ dropout: 0.1 }));  // dropout is {hidden, attention, classifier}
    assert.match(shape.error().error, /dropout must be null or \{hidden, attention, classifier\}/);
    shape.delete();

    for (const extra of [{ layers: 1 }, { layers: 0, lora: { r: 2, alpha: 4 } }, { layers: -1, embeddings: true }]) {
      const a = new engine.Trainer(model.raw, options(extra));
      assert.equal(a.error(), null);
      const losses = [];
      for (let i = 0; i < 4; i++) {
        const r = a.step(ids, null, mask, batch, seq, labels);
        assert.equal(r.step, i + 1, JSON.stringify(r));
        losses.push(r.loss);
      }
      assert.equal(a.step(ids, null, mask, batch, seq, Int32Array.from([0, 1, 3])).code, 'INVALID_ARGUMENT');
      assert.equal(a.step(ids, null, mask, batch, seq, Int32Array.from([0, 1])).code, 'INVALID_ARGUMENT');
      // Resume: state after 2 steps in another trainer, loaded into a third, continues bit for bit.
      const b = new engine.Trainer(model.raw, options(extra));
      b.step(ids, null, mask, batch, seq, labels);
      b.step(ids, null, mask, batch, seq, labels);
      const state = b.state();
      assert.ok(state instanceof Uint8Array);
      const c = new engine.Trainer(model.raw, options(extra));
      assert.equal(c.loadState(state), null);
      assert.equal(c.step(ids, null, mask, batch, seq, labels).loss, losses[2]);
      assert.equal(c.step(ids, null, mask, batch, seq, labels).loss, losses[3]);
      assert.equal(c.loadState(state.subarray(0, 10)).code, 'INVALID_ARGUMENT');
      const logits = c.logits(ids, null, mask, batch, seq);
      assert.deepEqual(logits.shape, [batch, 3]);
      const trained = c.tensors('trained');
      assert.ok(trained.some((/** @type {any} */ t) => t.name === 'classifier.weight' && t.data.length === 3 * 32));
      for (const t of [a, b, c]) t.delete();
    }

    // Head only: the features path gives the same loss as the batch path.
    const h = new engine.Trainer(model.raw, options({ layers: 0 }));
    const f = h.features(ids, null, mask, batch, seq);
    assert.deepEqual(f.shape, [batch, 32]);
    assert.equal(h.lossAndGradsFeatures(f.features, batch, labels).loss, h.lossAndGrads(ids, null, mask, batch, seq, labels).loss);
    assert.equal(h.gradient('classifier.bias').length, 3);
    assert.equal(h.gradient('nope').code, 'INVALID_ARGUMENT');
    h.delete();
    const linear = new engine.Trainer(null, options({ from_features: { size: 4 } }));
    assert.equal(linear.stepFeatures(new Float32Array(8), 2, Int32Array.from([0, 2])).step, 1);
    assert.equal(linear.stepFeatures(new Float32Array(7), 2, Int32Array.from([0, 2])).code, 'INVALID_ARGUMENT');
    linear.delete();
  } finally {
    const after = model.raw.forward(ids, null, mask, batch, seq, 0, null, null);
    assert.deepEqual(after.logits, before.logits, 'the model is the checkpoint again');
    assert.ok(JSON.parse(engine.heapStats()).in_use_bytes <= heapBefore + (1 << 20), 'trainers gave their memory back');
    model.dispose();
  }
});
