// Relative-position attention in the wasm build (src/models/blocks/relative_attention.h). The MPNet and
// DeBERTa-v2/v3 forward is checked against Hugging Face by the shared harness (parity-tiny-v2.test.mjs);
// here: BERT relative_key / relative_key_query against build/fixtures/bert-relative (a self-written
// torch transcription of HF's BertSelfAttention math: tools/bert_relative_oracle.py) — every layer's
// hidden states, attentions and the head within 1e-5 × max(1, max|ref|), 1 and 2 threads — and each
// MPNet / DeBERTa / BERT-relative head through its pipeline (ids in: the folders have no tokenizer
// files) against the reference logits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertologyModel, pipeline } from '../../js/index.js';
import { softmax } from '../../js/tensor.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';
import { parseSafetensors, readTensors, writeSafetensors } from './helpers/safetensors.js';
import { maxAbsDiff } from './helpers/compare.js';
import { copyModel, tempModels, tinyTokenizerJson } from './helpers/model-copies.js';

const OUTPUTS = ['logits', 'start_logits', 'end_logits', 'last_hidden_state', 'pooler_output', 'hidden_states', 'attentions'];
const TINY_V2 = sharedPath('models', 'tiny-v2');
const tinyV2 = existsSync(TINY_V2)
  ? readdirSync(TINY_V2).filter((n) => n.startsWith('mpnet-') || n.startsWith('deberta-v2-')).sort().map((n) => join(TINY_V2, n))
  : [];
const FIXTURES = join(REPO, 'build', 'fixtures', 'bert-relative');
const fixtures = readdirSync(FIXTURES).sort().map((n) => join(FIXTURES, n));

/** @param {{data: ArrayLike<number>}} t */
const maxAbs = (t) => { let m = 0; for (let i = 0; i < t.data.length; i++) m = Math.max(m, Math.abs(t.data[i])); return m; };

/**
 * max |ours − ref| / max(1, max|ref|), asserting the dims and the bound.
 * @param {string} what @param {any} actual @param {{data: ArrayLike<number>, shape: number[]}} expected
 */
function relClose(what, actual, expected) {
  assert.ok(actual, `${what}: missing from the engine's output`);
  assert.deepEqual(actual.dims, expected.shape, `${what}: dims`);
  const rel = maxAbsDiff(actual.data, expected.data) / Math.max(1, maxAbs(expected));
  assert.ok(rel <= 1e-5, `${what}: max abs diff / max(1, max|ref|) = ${rel.toExponential(2)} > 1e-5`);
  return rel;
}

/** @param {string} dir */
function load(dir) {
  const ref = readTensors(`${dir}/reference.safetensors`);
  const [batch, seq] = ref.input_ids.shape;
  /** @param {number[]} rows */
  const ids = (rows = [...Array(batch).keys()]) => {
    const pick = (/** @type {string} */ k) => (ref[k]
      ? { data: Int32Array.from(rows.flatMap((r) => Array.from(ref[k].data.subarray(r * seq, (r + 1) * seq)))), dims: [rows.length, seq] }
      : null);
    return { input_ids: pick('input_ids'), attention_mask: pick('attention_mask'), token_type_ids: pick('token_type_ids') };
  };
  return { ref, batch, seq, ids };
}

const name = (/** @type {string} */ dir) => dir.split('/').pop() ?? dir;
const all = [...tinyV2, ...fixtures];

for (const threads of [1, 2]) {
  for (const dir of fixtures) {
    test(`relative attention parity: ${name(dir)}, ${threads} thread(s)`, async (t) => {
      const { ref, ids } = load(dir);
      const model = await BertologyModel.load(dir, { threads });
      try {
        const out = model.forward(ids(), { output_hidden_states: true, output_attentions: true });
        const diffs = [];
        for (const key of OUTPUTS) {
          if (ref[key]) diffs.push(`${key} ${relClose(`${name(dir)} ${key}`, /** @type {any} */ (out)[key], ref[key]).toExponential(2)}`);
        }
        t.diagnostic(`${name(dir)} (${threads} thr) max abs diff / max(1, max|ref|): ${diffs.join(', ')}`);
      } finally {
        model.dispose();
      }
    });
  }
}

/** The class index of a label name (config.json id2label). @param {string} dir @param {string} label */
function labelIndex(dir, label) {
  const { id2label } = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  return Number(Object.entries(id2label).find(([, l]) => l === label)?.[0]);
}

const byHead = (/** @type {string} */ suffix) => all.filter((d) => name(d).includes(suffix));
const TOL = 1e-5;

for (const dir of [...byHead('sequenceclassification'), ...byHead('seqcls')]) {
  test(`relative ${name(dir)}: text-classification on ids`, { skip: dir.startsWith(TINY_V2) && SKIP_REASON }, async () => {
    const { ref, batch, ids } = load(dir);
    const pipe = await pipeline('text-classification', dir, { threads: 1 });
    try {
      const out = await pipe(ids(), { top_k: null });
      const labels = ref.logits.shape[1];
      assert.equal(out.length, batch);
      out.forEach((/** @type {any[]} */ scores, /** @type {number} */ b) => {
        const probs = softmax(ref.logits.data, b * labels, labels);
        assert.equal(scores.length, labels);
        for (const { label, score } of scores) assert.ok(Math.abs(score - probs[labelIndex(dir, label)]) <= TOL, `${label} row ${b}`);
      });
    } finally {
      await pipe.dispose();
    }
  });
}

for (const dir of byHead('maskedlm')) {
  test(`relative ${name(dir)}: fill-mask on ids`, { skip: SKIP_REASON }, async () => {
    const { ref, batch, seq, ids } = load(dir);
    const vocab = ref.logits.shape[2];
    const pipe = await pipeline('fill-mask', dir, { threads: 1 });
    try {
      for (let b = 0; b < batch; b++) {
        const maskId = ref.input_ids.data[b * seq + 3];  // the id at position 3 plays the mask
        const positions = [...Array(seq).keys()].filter((s) => ref.attention_mask.data[b * seq + s] && ref.input_ids.data[b * seq + s] === maskId);
        const out = await pipe(ids([b]), { mask_token_id: maskId, top_k: 3 });
        const perMask = positions.length === 1 ? [out[0]] : out[0];
        assert.equal(perMask.length, positions.length);
        positions.forEach((s, m) => {
          const probs = softmax(ref.logits.data, (b * seq + s) * vocab, vocab);
          const best = [...probs.keys()].sort((x, y) => probs[y] - probs[x]).slice(0, 3);
          assert.deepEqual(perMask[m].map((/** @type {any} */ p) => p.token), best, `row ${b} position ${s}`);
          perMask[m].forEach((/** @type {any} */ p) => assert.ok(Math.abs(p.score - probs[p.token]) <= TOL));
        });
      }
    } finally {
      await pipe.dispose();
    }
  });
}

for (const dir of [...byHead('tokenclassification'), ...byHead('tokcls')]) {
  test(`relative ${name(dir)}: token-classification on ids`, { skip: dir.startsWith(TINY_V2) && SKIP_REASON }, async () => {
    const { ref, batch, seq, ids } = load(dir);
    const labels = ref.logits.shape[2];
    const pipe = await pipeline('token-classification', dir, { threads: 1 });
    try {
      const out = await pipe(ids(), { ignore_labels: [] });
      assert.equal(out.length, batch);
      out.forEach((/** @type {any[]} */ tokens, /** @type {number} */ b) => {
        const kept = [...Array(seq).keys()].filter((s) => ref.attention_mask.data[b * seq + s]);
        assert.deepEqual(tokens.map((e) => e.index), kept);
        for (const e of tokens) {
          const probs = softmax(ref.logits.data, (b * seq + e.index) * labels, labels);
          const k = probs.indexOf(Math.max(...probs));
          assert.equal(e.entity, `LABEL_${k}`);
          assert.ok(Math.abs(e.score - probs[k]) <= TOL);
        }
      });
    } finally {
      await pipe.dispose();
    }
  });
}

for (const dir of byHead('questionanswering')) {
  test(`relative ${name(dir)}: question-answering pipeline model logits`, { skip: SKIP_REASON }, async () => {
    const { ref, ids } = load(dir);
    const pipe = await pipeline('question-answering', dir, { threads: 1 });
    try {
      const out = pipe.model.forward(ids());
      relClose('start_logits', out.start_logits, ref.start_logits);
      relClose('end_logits', out.end_logits, ref.end_logits);
    } finally {
      await pipe.dispose();
    }
  });
}

for (const dir of byHead('-model')) {
  test(`relative ${name(dir)}: feature-extraction on ids`, { skip: SKIP_REASON }, async () => {
    const { ref, batch, seq, ids } = load(dir);
    const hidden = ref.last_hidden_state.shape[2];
    const pipe = await pipeline('feature-extraction', dir, { threads: 1 });
    try {
      const out = await pipe(ids(), { output_hidden_states: true, output_attentions: true });
      const masked = ref.last_hidden_state.data.map((v, i) => (ref.attention_mask.data[Math.floor(i / hidden)] ? v : 0));
      relClose('last_hidden_state', out, { data: masked, shape: [batch, seq, hidden] });
      relClose('hidden_states', out.hidden_states, ref.hidden_states);
      relClose('attentions', out.attentions, ref.attentions);
    } finally {
      await pipe.dispose();
    }
  });
}

// Text in: copies of the MPNet / DeBERTa classifiers and MLMs with a small WordPiece tokenizer (ids
// < 1,000; tests/js/helpers/model-copies.js). Integrated gradients through the relative blocks' backward
// must be complete (Σ attributions = f(x) − f(baseline) within 1%: an axiom, not our own output), and
// fill-mask scores are the softmax of the forward's logits at the mask.
const text = 'the acting is wooden and the plot is a mess, but the score is lovely.';

for (const name of ['mpnet-sequenceclassification', 'deberta-v2-sequenceclassification', 'deberta-v2-sequenceclassification-v2style']) {
  test(`relative ${name}: text-classification and integrated gradients on text`, { skip: SKIP_REASON }, async () => {
    const { root, cleanup } = tempModels('bertology-relative-');
    try {
      const dir = copyModel(join(TINY_V2, name), join(root, name), (c) => { c.pad_token_id = 0; });
      writeFileSync(join(dir, 'tokenizer.json'), tinyTokenizerJson());
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64, do_lower_case: true }));
      const pipe = await pipeline('text-classification', dir, { threads: 2 });
      try {
        const [scores] = await pipe([text], { top_k: null });
        assert.ok(Math.abs(scores.reduce((s, x) => s + x.score, 0) - 1) < 1e-5);
        const e = await pipe.explain(text, { method: 'integrated_gradients', steps: 64 });
        assert.ok(Math.abs(e.completeness_gap) <= 0.01 * Math.abs(e.delta), `gap ${e.completeness_gap} vs delta ${e.delta}`);
        for (const w of e.words) assert.ok(Number.isFinite(w.attribution));
        const g = await pipe.explain(text, { method: 'gradient_weighted_rollout' });
        assert.ok(g.words.every((/** @type {any} */ w) => Number.isFinite(w.attribution)));
      } finally {
        await pipe.dispose();
      }
    } finally {
      cleanup();
    }
  });
}

for (const name of ['mpnet-maskedlm', 'deberta-v2-maskedlm']) {
  test(`relative ${name}: fill-mask on text`, { skip: SKIP_REASON }, async () => {
    const { root, cleanup } = tempModels('bertology-relative-');
    try {
      const dir = copyModel(join(TINY_V2, name), join(root, name), (c) => { c.pad_token_id = 0; });
      writeFileSync(join(dir, 'tokenizer.json'), tinyTokenizerJson());
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64, do_lower_case: true }));
      const pipe = await pipeline('fill-mask', dir, { threads: 1 });
      try {
        const out = await pipe('the plot is a [MASK] but the score is lovely.', { top_k: 5 });
        assert.equal(out.length, 5);
        const enc = pipe.model.tokenize('the plot is a [MASK] but the score is lovely.');
        const ids = Int32Array.from(enc.ids);
        const logits = pipe.model.forward({ input_ids: { data: ids, dims: [1, ids.length] } }).logits;
        const at = Array.from(ids).indexOf(4);  // [MASK]
        const vocab = logits.dims[2];
        const probs = softmax(logits.data, at * vocab, vocab);
        for (const p of out) assert.ok(Math.abs(p.score - probs[p.token]) <= 1e-6, `token ${p.token}`);
      } finally {
        await pipe.dispose();
      }
    } finally {
      cleanup();
    }
  });
}

// DeBERTa's legacy MLM layout (config legacy: true; cls.predictions.transform.{dense,LayerNorm},
// cls.predictions.bias, decoder tied to the word embeddings) is the same computation as
// lm_predictions.lm_head.*: the tiny model's tensors renamed into it must reproduce Hugging Face's logits.
test('relative deberta-v2-maskedlm: the legacy cls.predictions layout gives the same logits', { skip: SKIP_REASON }, async () => {
  const { root, cleanup } = tempModels('bertology-relative-');
  try {
    const from = join(TINY_V2, 'deberta-v2-maskedlm');
    const dir = copyModel(from, join(root, 'legacy'), (c) => { c.legacy = true; }, { skip: ['model.safetensors'] });
    const { tensors } = parseSafetensors(new Uint8Array(readFileSync(join(from, 'model.safetensors'))));
    const renamed = tensors.map((t) => ({
      ...t,
      name: t.name.replace(/^lm_predictions\.lm_head\.(dense|LayerNorm)\./, 'cls.predictions.transform.$1.')
        .replace(/^lm_predictions\.lm_head\.bias$/, 'cls.predictions.bias'),
    }));
    assert.ok(renamed.some((t) => t.name === 'cls.predictions.transform.LayerNorm.weight'));
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(renamed));
    const { ref, ids } = load(from);
    const model = await BertologyModel.load(dir, { threads: 1 });
    try {
      relClose('logits (legacy layout)', model.forward(ids()).logits, ref.logits);
    } finally {
      model.dispose();
    }
  } finally {
    cleanup();
  }
});

// dtype q8 (int8 encoder weights, f32 relative tables) loads and runs every relative family; on random
// weights only rough agreement with fp32 can be checked (relative L2 of the head's output < 0.2).
for (const dir of [...byHead('sequenceclassification'), ...byHead('maskedlm'), ...byHead('seqcls')]) {
  test(`relative ${name(dir)}: dtype q8 loads and roughly agrees with fp32`, { skip: dir.startsWith(TINY_V2) && SKIP_REASON }, async () => {
    const { ids } = load(dir);
    const fp32 = await BertologyModel.load(dir, { threads: 1 });
    const q8 = await BertologyModel.load(dir, { threads: 1, dtype: 'q8' });
    try {
      const a = fp32.forward(ids()).logits.data, b = q8.forward(ids()).logits.data;
      assert.equal(a.length, b.length);
      let num = 0, den = 0;
      for (let i = 0; i < a.length; i++) { num += (a[i] - b[i]) ** 2; den += a[i] ** 2; }
      assert.ok(Math.sqrt(num / den) < 0.2, `relative L2 ${Math.sqrt(num / den)}`);
    } finally {
      fp32.dispose();
      q8.dispose();
    }
  });
}
