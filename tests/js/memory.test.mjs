// model.memoryUsage(): weights and workspace of a model, the shared wasm heap's in-use bytes and
// size, and that dispose() gives a model's bytes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { parseSafetensors } from './helpers/safetensors.js';

function parameterCount(file) {
  return parseSafetensors(new Uint8Array(fs.readFileSync(file))).tensors
    .reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
}

test('memoryUsage: weights, workspace and heap, returned on dispose', { skip: SKIP_REASON }, async () => {
  const dir = sharedPath('models', 'bert-mini-sst2');
  const a = await BertologyModel.load(dir, { threads: 1 });
  const ua = a.memoryUsage();
  // f32 weights: 4 bytes per checkpoint parameter (the pooler/head are kept, packing adds only panel
  // padding), whatever the checkpoint's dtype.
  const f32Bytes = 4 * fs.readdirSync(dir).filter((f) => f.endsWith('.safetensors'))
    .reduce((sum, f) => sum + parameterCount(`${dir}/${f}`), 0);
  assert.ok(ua.weights >= 0.95 * f32Bytes && ua.weights <= 1.1 * f32Bytes, JSON.stringify({ ua, f32Bytes }));
  assert.ok(ua.workspace > 0);
  assert.ok(ua.heap_in_use >= ua.weights + ua.workspace, JSON.stringify(ua));
  assert.ok(ua.heap_size >= ua.heap_in_use);

  const b = await BertologyModel.load(dir, { threads: 1 });
  const withB = b.memoryUsage();
  assert.equal(withB.weights, ua.weights);
  assert.ok(withB.heap_in_use >= ua.heap_in_use + ua.weights + ua.workspace, JSON.stringify({ ua, withB }));
  b.dispose();
  const afterB = a.memoryUsage();
  assert.ok(Math.abs(afterB.heap_in_use - ua.heap_in_use) < 1 << 20,
    `heap in use after dispose ${afterB.heap_in_use} vs before load ${ua.heap_in_use}`);
  assert.throws(() => b.memoryUsage(), /dispose/);
  a.dispose();
});
