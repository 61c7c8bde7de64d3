// Explanations through the package: the CLI's last line is one JSON object whose integrated
// gradients satisfy completeness (|gap| <= 1% of |f(x) - f(baseline)|), pipe.explain gives
// per-word attributions with JS string offsets that slice the input text, grad_x_input's baseline
// defaults to zero (the classic gradient × input), and the gradient-weighted rollout is unsigned and
// class-specific.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from '../../js/index.js';
import { SHARED, SKIP_REASON } from './helpers/shared.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MODEL = `${SHARED}/models/bert-mini-sst2`;
const skip = SKIP_REASON;

test('explain CLI: integrated gradients (64 steps) is complete to 1%', { skip }, () => {
  const text = 'the acting is wooden and the plot is a mess , but the score is lovely .';
  const out = execFileSync(process.execPath, [path.join(ROOT, 'bin/bertology.mjs'), 'explain', '--model', MODEL,
    '--method', 'integrated_gradients', '--steps', '64', text], { encoding: 'utf8' });
  const result = JSON.parse(out.trim().split('\n').at(-1));
  assert.equal(result.method, 'integrated_gradients');
  assert.ok(['POSITIVE', 'NEGATIVE'].includes(result.prediction.label));
  assert.ok(Number.isFinite(result.delta) && Math.abs(result.delta) > 1e-3);
  assert.ok(Math.abs(result.completeness_gap) <= 0.01 * Math.abs(result.delta),
    `gap ${result.completeness_gap} vs delta ${result.delta}`);
  for (const w of result.words) assert.equal(text.slice(w.start, w.end), w.word);
});

test('pipe.explain: every method gives per-word attributions over the text', { skip }, async () => {
  const pipe = await pipeline('sentiment-analysis', MODEL);
  try {
    const text = 'Naïve but charming — a 😀 film.';
    for (const method of ['grad_x_input', 'integrated_gradients', 'occlusion', 'lime', 'attention_rollout',
      'gradient_weighted_rollout']) {
      const e = await pipe.explain(text, { method, steps: 16, samples: 64, seed: 1 });
      assert.ok(e.words.length >= 5, method);
      for (const w of e.words) {
        assert.equal(text.slice(w.start, w.end).toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, ''),
          w.word.normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase(), `${method}: ${w.word}`);
        assert.ok(Number.isFinite(w.attribution), method);
      }
    }
    const a = await pipe.explain(text, { method: 'lime', samples: 64, seed: 7 });
    const b = await pipe.explain(text, { method: 'lime', samples: 64, seed: 7 });
    assert.deepEqual(a.words, b.words, 'LIME is deterministic for a fixed seed');
    await assert.rejects(pipe.explain(text, { method: 'shap' }), /method/);
    await assert.rejects(pipe.explain(text, { method: 'integrated_gradients', steps: 0 }), /steps/);
    await assert.rejects(pipe.explain(text, { method: 'grad_x_input', baseline: 'mean' }), /baseline/);
  } finally {
    await pipe.dispose();
  }
});

test('pipe.explain: grad_x_input baselines; gradient-weighted rollout follows the target', { skip }, async () => {
  const pipe = await pipeline('sentiment-analysis', MODEL);
  try {
    const text = 'the acting is wooden and the plot is a mess , but the score is lovely .';
    const attributions = (/** @type {any} */ e) => e.words.map((/** @type {any} */ w) => w.attribution);
    const byDefault = await pipe.explain(text, { method: 'grad_x_input' });
    const zero = await pipe.explain(text, { method: 'grad_x_input', baseline: 'zero' });
    const pad = await pipe.explain(text, { method: 'grad_x_input', baseline: 'pad' });
    assert.deepEqual(attributions(byDefault), attributions(zero), 'grad_x_input defaults to the zero baseline');
    assert.notDeepEqual(attributions(pad), attributions(zero));
    for (const e of [zero, pad]) {
      for (const t of e.tokens) if (t.word < 0) assert.equal(t.attribution, 0, `special token ${t.token}`);
    }
    const positive = await pipe.explain(text, { method: 'gradient_weighted_rollout', target: 'POSITIVE' });
    const negative = await pipe.explain(text, { method: 'gradient_weighted_rollout', target: 'NEGATIVE' });
    for (const e of [positive, negative]) {
      for (const a of attributions(e)) assert.ok(Number.isFinite(a) && a >= 0, String(a));
    }
    assert.notDeepEqual(attributions(positive), attributions(negative));
    const rollout = async (/** @type {string} */ target) => attributions(await pipe.explain(text, { method: 'attention_rollout', target }));
    assert.deepEqual(await rollout('POSITIVE'), await rollout('NEGATIVE'), 'attention rollout is class-agnostic');
  } finally {
    await pipe.dispose();
  }
});

// The rollout's definition (Abnar & Zuidema 2020), computed here from the forward's attention
// probabilities as full [seq, seq] matrix products — R = A_L ⋯ A_1 with A = rownorm(mean_heads(P) + I) —
// against the engine's, which takes only the target row's vector-times-matrix chain (O(seq²) a layer).
test('pipe.explain: attention_rollout is row [CLS] of the full rollout matrix product', { skip }, async () => {
  const pipe = await pipeline('sentiment-analysis', MODEL);
  try {
    const text = 'the acting is wooden and the plot is a mess , but the score is lovely .';
    const e = await pipe.explain(text, { method: 'attention_rollout' });
    const out = pipe.model.forward(text, { output_attentions: true });
    const [layers, , heads, n] = /** @type {number[]} */ (out.attentions?.dims);
    const p = /** @type {Float32Array} */ (out.attentions?.data);
    assert.equal(n, e.tokens.length);
    let r = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    for (let l = 0; l < layers; l++) {
      const a = Array.from({ length: n }, (_, i) => {
        const row = Array.from({ length: n }, (_, j) => {
          let s = 0;
          for (let h = 0; h < heads; h++) s += p[((l * heads + h) * n + i) * n + j];
          return s / heads + (i === j ? 1 : 0);
        });
        const total = row.reduce((x, y) => x + y, 0);
        return row.map((v) => v / total);
      });
      r = a.map((row) => r[0].map((_, j) => row.reduce((s, v, k) => s + v * r[k][j], 0)));
    }
    for (let j = 0; j < n; j++) {
      assert.ok(Math.abs(e.tokens[j].attribution - r[0][j]) <= 1e-12 + 1e-9 * Math.abs(r[0][j]),
        `token ${j}: ${e.tokens[j].attribution} vs ${r[0][j]}`);
    }
  } finally {
    await pipe.dispose();
  }
});
