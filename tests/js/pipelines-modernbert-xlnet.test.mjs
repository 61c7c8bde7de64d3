// ModernBERT and XLNet in the pipelines. Oracles: Hugging Face's logits in each tiny-v2 folder's
// reference.safetensors (its inputs include XLNet's left-padded rows with <sep> <cls> at the end and
// pad token type 3), and padding invariance: a batch (left-padded for XLNet, as its tokenizer does)
// gives every input the result it gets alone. Tokenizers: each family's real tokenizer.json
// configuration (tests/fixtures/tokenizers/families.mjs) over the first 1,000 ids of its vocabulary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pipeline } from '../../js/index.js';
import { SHARED, SKIP_REASON, sharedPath } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';
import { copyModel, tempModels } from './helpers/model-copies.js';
import { familyTokenizers } from '../fixtures/tokenizers/families.mjs';
import { loadVocabs } from '../fixtures/tokenizers/shared-vocabs.mjs';

const dirOf = (/** @type {string} */ name) => sharedPath('models', 'tiny-v2', name);

/** @param {ArrayLike<number>} x @param {number} start @param {number} n */
function softmax(x, start, n) {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, x[start + i]);
  const e = Array.from({ length: n }, (_, i) => Math.exp(x[start + i] - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** The reference's inputs as the pipelines' ids input. */
function idsInput(/** @type {Record<string, any>} */ ref) {
  const [batch, seq] = ref.input_ids.shape;
  /** @type {Record<string, {data: number[], dims: number[]}>} */
  const x = {};
  for (const k of ['input_ids', 'attention_mask', 'token_type_ids']) {
    if (ref[k]) x[k] = { data: Array.from(ref[k].data, Number), dims: [batch, seq] };
  }
  return x;
}

test('text-classification: scores are the softmax of Hugging Face\'s logits (mean, cls, XLNet\'s last-token summary)',
  { skip: SKIP_REASON }, async () => {
    for (const name of ['modernbert-sequenceclassification', 'modernbert-sequenceclassification-cls', 'xlnet-sequenceclassification']) {
      const ref = readTensors(`${dirOf(name)}/reference.safetensors`);
      const classify = await pipeline('text-classification', dirOf(name));
      try {
        const out = /** @type {any[]} */ (await classify(/** @type {any} */ (idsInput(ref)), { top_k: null }));
        const [batch, labels] = ref.logits.shape;
        assert.equal(out.length, batch);
        for (let b = 0; b < batch; b++) {
          const p = softmax(ref.logits.data, b * labels, labels);
          for (const { label, score } of out[b]) {
            const id = Number(label.split('_')[1]);
            assert.ok(Math.abs(score - p[id]) < 1e-5, `${name} row ${b} ${label}: ${score} vs ${p[id]}`);
          }
        }
      } finally {
        await classify.dispose();
      }
    }
  });

test('token-classification on left-padded ids: each real token\'s scores are Hugging Face\'s, indexed from its first token',
  { skip: SKIP_REASON }, async () => {
    for (const name of ['modernbert-tokenclassification', 'xlnet-tokenclassification']) {
      const ref = readTensors(`${dirOf(name)}/reference.safetensors`);
      const ner = await pipeline('token-classification', dirOf(name));
      try {
        const out = /** @type {any[][]} */ (await ner(/** @type {any} */ (idsInput(ref)), { ignore_labels: [] }));
        const [batch, seq, labels] = ref.logits.shape;
        for (let b = 0; b < batch; b++) {
          const real = [];
          for (let t = 0; t < seq; t++) if (Number(ref.attention_mask.data[b * seq + t])) real.push(t);
          assert.equal(out[b].length, real.length, `${name} row ${b}: one entity per real token`);
          out[b].forEach((e, k) => {
            assert.equal(e.index, k, `${name} row ${b}: index counts the row's tokens, not its padding`);
            const p = softmax(ref.logits.data, (b * seq + real[k]) * labels, labels);
            const best = p.indexOf(Math.max(...p));
            assert.equal(e.entity, `LABEL_${best}`);
            assert.ok(Math.abs(e.score - p[best]) < 1e-5, `${name} row ${b} token ${k}: ${e.score} vs ${p[best]}`);
          });
        }
      } finally {
        await ner.dispose();
      }
    }
  });

// Copies of the tiny checkpoints with their family's tokenizer over ids < 1,000.
function withTokenizers(/** @type {string} */ root) {
  const families = familyTokenizers(loadVocabs(SHARED));
  // XLNet: <unk> <s> </s> <cls> <sep> <pad> <mask> <eod> <eop> (ids 0-8, as the checkpoints assume), then pieces.
  const xlnet = structuredClone(families.xlnet);
  xlnet.json.model.vocab = xlnet.json.model.vocab.slice(0, 1000);
  // ModernBERT: the byte-level BPE's first 995 tokens (merges kept when all three are among them) + specials 995-999.
  const modern = structuredClone(families.modernbert);
  const vocab = /** @type {Record<string, number>} */ ({});
  for (const [t, id] of Object.entries(modern.json.model.vocab)) if (/** @type {number} */ (id) < 995) vocab[t] = /** @type {number} */ (id);
  const specials = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]'];
  specials.forEach((t, k) => { vocab[t] = 995 + k; });
  modern.json.model.vocab = vocab;
  modern.json.model.merges = modern.json.model.merges.filter((/** @type {any} */ m) => {
    const [a, b] = typeof m === 'string' ? m.split(' ') : m;
    return a in vocab && b in vocab && (a + b) in vocab;
  });
  modern.json.added_tokens = modern.json.added_tokens.map((/** @type {any} */ a) => ({ ...a, id: vocab[a.content] }));
  for (const [t, st] of Object.entries(modern.json.post_processor.special_tokens)) /** @type {any} */ (st).ids = [vocab[t]];
  /** @type {Record<string, string>} */
  const dirs = {};
  for (const name of ['xlnet-questionanswering-simple', 'xlnet-tokenclassification', 'xlnet-model', 'xlnet-lmhead',
    'xlnet-sequenceclassification', 'modernbert-maskedlm', 'modernbert-model', 'modernbert-sequenceclassification']) {
    const family = name.startsWith('xlnet') ? xlnet : modern;
    const to = join(root, name);
    copyModel(dirOf(name), to, (c) => {
      if (!name.startsWith('xlnet')) Object.assign(c, { pad_token_id: 998, cls_token_id: 996, sep_token_id: 997 });
    }, { skip: ['SOURCE.md'] });
    writeFileSync(join(to, 'tokenizer.json'), JSON.stringify({ version: '1.0', truncation: null, padding: null, ...family.json }));
    writeFileSync(join(to, 'tokenizer_config.json'), JSON.stringify(family.config));
    dirs[name] = to;
  }
  return dirs;
}

const TEXTS = ['The quick brown fox jumps over the lazy dog near the river bank.', 'A short one.',
  'Paris is the capital of France, and Berlin that of Germany.'];

test('XLNet pipelines on left-padded batches: every input gets its result alone (QA, NER, features, fill-mask)',
  { skip: SKIP_REASON }, async () => {
    const { root, cleanup } = tempModels('bertology-xlnet-');
    try {
      const dirs = withTokenizers(root);
      const qa = await pipeline('question-answering', dirs['xlnet-questionanswering-simple']);
      assert.equal(qa.model.padding_side, 'left');
      const questions = ['What jumps?', 'Where is the dog sleeping today?', 'Who?'];
      const batched = /** @type {any[]} */ (await qa(questions, TEXTS[0], { top_k: 2 }));
      for (let i = 0; i < questions.length; i++) assert.deepEqual(batched[i], await qa(questions[i], TEXTS[0], { top_k: 2 }));
      await qa.dispose();

      const ner = await pipeline('token-classification', dirs['xlnet-tokenclassification']);
      const entities = /** @type {any[]} */ (await ner(TEXTS, { ignore_labels: [] }));
      for (let i = 0; i < TEXTS.length; i++) assert.deepEqual(entities[i], await ner(TEXTS[i], { ignore_labels: [] }));
      assert.ok(entities[1].length > 0 && entities[1][0].start === 0, 'offsets of the left-padded short text');
      await ner.dispose();

      const features = await pipeline('feature-extraction', dirs['xlnet-model']);
      for (const pooling of /** @type {const} */ (['none', 'cls', 'mean'])) {
        const all = await features(TEXTS, { pooling });
        const rows = pooling === 'none' ? null : all.dims[1];
        for (let i = 0; i < TEXTS.length; i++) {
          const one = await features(TEXTS[i], { pooling });
          const width = one.data.length;
          const mine = pooling === 'none' ? all.data.subarray(i * all.dims[1] * all.dims[2], i * all.dims[1] * all.dims[2] + width)
            : all.data.subarray(i * /** @type {number} */ (rows), (i + 1) * /** @type {number} */ (rows));
          for (let k = 0; k < width; k++) assert.ok(Math.abs(mine[k] - one.data[k]) < 1e-4, `${pooling} text ${i} value ${k}`);
        }
      }
      await features.dispose();

      const fill = await pipeline('fill-mask', dirs['xlnet-lmhead']);
      const masked = ['The capital of France is <mask>.', 'A <mask> one.'];
      const filled = /** @type {any[]} */ (await fill(masked));
      for (let i = 0; i < masked.length; i++) assert.deepEqual(filled[i], await fill(masked[i]));
      await fill.dispose();
    } finally {
      cleanup();
    }
  });

test('ModernBERT pipelines: fill-mask and mean-pooled features, batched equal alone',
  { skip: SKIP_REASON }, async () => {
    const { root, cleanup } = tempModels('bertology-modernbert-');
    try {
      const dirs = withTokenizers(root);
      const fill = await pipeline('fill-mask', dirs['modernbert-maskedlm']);
      const masked = ['The capital of France is [MASK].', 'A [MASK] one, and a longer sentence after it.'];
      const filled = /** @type {any[]} */ (await fill(masked));
      for (let i = 0; i < masked.length; i++) assert.deepEqual(filled[i], await fill(masked[i]));
      await fill.dispose();
      const features = await pipeline('feature-extraction', dirs['modernbert-model']);
      const all = await features(TEXTS, { pooling: 'mean' });
      for (let i = 0; i < TEXTS.length; i++) {
        const one = await features(TEXTS[i], { pooling: 'mean' });
        for (let k = 0; k < one.data.length; k++) assert.ok(Math.abs(all.data[i * one.data.length + k] - one.data[k]) < 1e-4);
      }
      await features.dispose();
    } finally {
      cleanup();
    }
  });

test('explanations through XLNet\'s and ModernBERT\'s blocks in wasm: integrated gradients are complete to 1%',
  { skip: SKIP_REASON }, async () => {
    const { root, cleanup } = tempModels('bertology-explain-');
    try {
      const dirs = withTokenizers(root);
      for (const name of ['xlnet-sequenceclassification', 'modernbert-sequenceclassification']) {
        const classify = await pipeline('text-classification', dirs[name]);
        try {
          const e = /** @type {any} */ (await classify.explain(TEXTS[2], { method: 'integrated_gradients', steps: 64 }));
          assert.ok(Number.isFinite(e.delta) && Math.abs(e.delta) > 1e-3, `${name}: delta ${e.delta}`);
          assert.ok(Math.abs(e.completeness_gap) <= 0.01 * Math.abs(e.delta), `${name}: gap ${e.completeness_gap} vs delta ${e.delta}`);
          for (const w of e.words) assert.equal(TEXTS[2].slice(w.start, w.end), w.word);
        } finally {
          await classify.dispose();
        }
      }
    } finally {
      cleanup();
    }
  });
