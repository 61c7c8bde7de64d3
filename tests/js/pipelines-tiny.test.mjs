// The tiny random-weight BERT / DistilBERT / RoBERTa / ALBERT models through the pipelines, ids in
// (they have no tokenizer files), heads out, against their reference.safetensors (Hugging Face).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pipeline } from '../../js/index.js';
import { softmax } from '../../js/tensor.js';
import { readTensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';
import { SKIP_REASON, sharedPath, tinyModels } from './helpers/shared.js';

const TOL = 1e-5;

/** @param {string} name */
function load(name) {
  const dir = sharedPath('models', 'tiny', name);
  const ref = readTensors(`${dir}/reference.safetensors`);
  const [batch, seq] = ref.input_ids.shape;
  /** @param {number[]} rows */
  const ids = (rows = [...Array(batch).keys()]) => {
    const pick = (/** @type {string} */ k) => (ref[k]
      ? { data: Int32Array.from(rows.flatMap((r) => Array.from(ref[k].data.subarray(r * seq, (r + 1) * seq)))), dims: [rows.length, seq] }
      : null);
    return { input_ids: pick('input_ids'), attention_mask: pick('attention_mask'), token_type_ids: pick('token_type_ids') };
  };
  return { dir, ref, batch, seq, ids };
}

const byHead = (/** @type {string} */ suffix) => tinyModels().filter((n) => n.endsWith(suffix));

for (const name of byHead('sequenceclassification')) {
  test(`tiny ${name}: text-classification on ids`, { skip: SKIP_REASON }, async () => {
    const { dir, ref, batch, ids } = load(name);
    const pipe = await pipeline('text-classification', dir, { threads: 1 });
    try {
      const out = await pipe(ids(), { top_k: null });
      const labels = ref.logits.shape[1];
      assert.equal(out.length, batch);
      out.forEach((/** @type {any[]} */ scores, /** @type {number} */ b) => {
        const probs = softmax(ref.logits.data, b * labels, labels);
        assert.equal(scores.length, labels);
        for (const { label, score } of scores) assert.ok(Math.abs(score - probs[Number(label.split('_')[1])]) <= TOL, `${label} row ${b}`);
      });
      await assert.rejects(pipe('some text'), /loaded without tokenizer files/);
    } finally {
      await pipe.dispose();
    }
  });
}

for (const name of byHead('maskedlm')) {
  test(`tiny ${name}: fill-mask on ids`, { skip: SKIP_REASON }, async () => {
    const { dir, ref, batch, seq, ids } = load(name);
    const vocab = ref.logits.shape[2];
    const pipe = await pipeline('fill-mask', dir, { threads: 1 });
    try {
      for (let b = 0; b < batch; b++) {
        // Treat the id at position 3 as the "mask": every position holding it gets predictions.
        const maskId = ref.input_ids.data[b * seq + 3];
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
      await assert.rejects(pipe(ids([0])), /no mask token/);
    } finally {
      await pipe.dispose();
    }
  });
}

for (const name of byHead('tokenclassification')) {
  test(`tiny ${name}: token-classification on ids`, { skip: SKIP_REASON }, async () => {
    const { dir, ref, batch, seq, ids } = load(name);
    const labels = ref.logits.shape[2];
    const pipe = await pipeline('token-classification', dir, { threads: 1 });
    try {
      const out = await pipe(ids(), { ignore_labels: [] });
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
      assert.equal(out.length, batch);
    } finally {
      await pipe.dispose();
    }
  });
}

for (const name of byHead('questionanswering')) {
  test(`tiny ${name}: question-answering pipeline model logits`, { skip: SKIP_REASON }, async () => {
    const { dir, ref, ids } = load(name);
    const pipe = await pipeline('question-answering', dir, { threads: 1 });
    try {
      const out = pipe.model.forward(ids());
      assertClose('start_logits', out.start_logits, ref.start_logits, TOL);
      assertClose('end_logits', out.end_logits, ref.end_logits, TOL);
      await assert.rejects(pipe('q', 'c'), /loaded without tokenizer files/);
    } finally {
      await pipe.dispose();
    }
  });
}

test('tiny bertmodel: feature-extraction on ids; hidden states and attentions', { skip: SKIP_REASON }, async () => {
  const { dir, ref, batch, seq, ids } = load('tiny-bert-bertmodel');
  const hidden = ref.last_hidden_state.shape[2];
  const pipe = await pipeline('feature-extraction', dir, { threads: 1 });
  try {
    const out = await pipe(ids(), { output_hidden_states: true, output_attentions: true });
    const masked = ref.last_hidden_state.data.map((v, i) => (ref.attention_mask.data[Math.floor(i / hidden)] ? v : 0));
    assertClose('last_hidden_state', out, { data: masked, shape: [batch, seq, hidden] }, TOL);
    assertClose('hidden_states', out.hidden_states, ref.hidden_states, TOL);
    assertClose('attentions', out.attentions, ref.attentions, TOL);
  } finally {
    await pipe.dispose();
  }
});
