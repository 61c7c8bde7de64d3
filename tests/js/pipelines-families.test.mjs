// XLM-RoBERTa, CamemBERT, ERNIE and ELECTRA in the pipelines (issue 16): every task their heads support.
// Oracle: Hugging Face's outputs in ../shared/models/tiny-v2/*/reference.safetensors — the pipelines are
// given the reference's own ids (token types and ERNIE's task types included) and their scores must be
// the softmax (ELECTRA's discriminator: sigmoid) of the reference logits. Text inputs run through a small
// WordPiece tokenizer (ids < 1,000, tests/js/helpers/model-copies.js) for the WordPiece families (ERNIE,
// ELECTRA): fill-mask and question answering, whose decoding is the pipelines' own and tested on BERT.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertologyModel, pipeline } from '../../js/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';
import { copyModel, tempModels, tinyTokenizerJson } from './helpers/model-copies.js';

const TOL = 1e-5;
const v2 = (/** @type {string} */ name) => sharedPath('models', 'tiny-v2', name);

/** @type {ReturnType<typeof tempModels>} */
let temp;
before(() => { temp = tempModels('bertology-families-'); });
after(() => temp?.cleanup());

/**
 * The reference's inputs as a pipeline's ids input.
 * @param {Record<string, {data: any, shape: number[]}>} ref
 */
function idsOf(ref) {
  const [batch, seq] = ref.input_ids.shape;
  /** @type {Record<string, {data: any, dims: number[]}>} */
  const inputs = {};
  for (const k of ['input_ids', 'attention_mask', 'token_type_ids', 'task_type_ids']) {
    if (ref[k]) inputs[k] = { data: ref[k].data, dims: [batch, seq] };
  }
  return /** @type {any} */ (inputs);
}

/** @param {ArrayLike<number>} z */
function softmax(z) {
  const m = Math.max(...Array.from(z));
  const e = Array.from(z, (x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** A tiny-v2 model with the small WordPiece tokenizer (pad, [CLS], [SEP], [MASK] < 1,000). */
let copies = 0;
function withTokenizer(/** @type {string} */ name) {
  const to = copyModel(v2(name), join(temp.root, `${name}-${copies++}`), undefined, { skip: ['SOURCE.md'] });
  writeFileSync(join(to, 'tokenizer.json'), tinyTokenizerJson());
  writeFileSync(join(to, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64, do_lower_case: true }));
  return to;
}

for (const name of ['xlm-roberta-sequenceclassification', 'camembert-sequenceclassification', 'electra-sequenceclassification',
  'ernie-sequenceclassification', 'ernie-sequenceclassification-notask']) {
  test(`text-classification: ${name} scores are the softmax of Hugging Face's logits`, { skip: SKIP_REASON }, async () => {
    const ref = readTensors(`${v2(name)}/reference.safetensors`);
    const classify = await pipeline('text-classification', v2(name), { threads: 1 });
    try {
      const id2label = classify.model.info.id2label;
      const results = await classify(idsOf(ref), { top_k: null });
      const [batch, labels] = ref.logits.shape;
      assert.equal(results.length, batch);
      for (let b = 0; b < batch; b++) {
        const p = softmax(ref.logits.data.subarray(b * labels, (b + 1) * labels));
        assert.equal(results[b].length, labels);
        for (const { label, score } of results[b]) {
          const k = Number(Object.keys(id2label).find((i) => id2label[i] === label) ?? label.replace('LABEL_', ''));
          assert.ok(Math.abs(score - p[k]) <= TOL, `${name} row ${b} ${label}: ${score} vs ${p[k]}`);
        }
      }
    } finally {
      await classify.dispose();
    }
  });
}

for (const name of ['xlm-roberta-tokenclassification', 'electra-tokenclassification', 'ernie-tokenclassification',
  'electra-discriminator']) {
  test(`token-classification: ${name} per-token labels and scores from Hugging Face's logits`, { skip: SKIP_REASON }, async () => {
    const ref = readTensors(`${v2(name)}/reference.safetensors`);
    const ner = await pipeline('token-classification', v2(name), { threads: 1 });
    try {
      const discriminator = name === 'electra-discriminator';
      assert.equal(ner.model.info.head, discriminator ? 'replaced_token_detection' : 'token_classification');
      const results = await ner(idsOf(ref), { ignore_labels: [] });
      const [batch, seq] = ref.input_ids.shape;
      const mask = ref.attention_mask.data;
      for (let b = 0; b < batch; b++) {
        const real = [];
        for (let t = 0; t < seq; t++) if (Number(mask[b * seq + t])) real.push(t);
        assert.deepEqual(results[b].map((/** @type {any} */ e) => e.index), real, `${name} row ${b}: one entity per real token`);
        for (const e of results[b]) {
          const row = b * seq + e.index;
          let label, score;
          if (discriminator) {
            const p = 1 / (1 + Math.exp(-ref.logits.data[row]));
            [label, score] = p > 0.5 ? ['replaced', p] : ['original', 1 - p];
          } else {
            const n = ref.logits.shape[2];
            const p = softmax(ref.logits.data.subarray(row * n, (row + 1) * n));
            const k = p.indexOf(Math.max(...p));
            [label, score] = [ner.model.info.id2label[String(k)] ?? `LABEL_${k}`, p[k]];
          }
          assert.equal(e.entity, label, `${name} row ${b} token ${e.index}`);
          assert.ok(Math.abs(e.score - score) <= TOL, `${name} row ${b} token ${e.index}: ${e.score} vs ${score}`);
        }
      }
    } finally {
      await ner.dispose();
    }
  });
}

test('token-classification: an ELECTRA discriminator on text labels every word replaced/original', { skip: SKIP_REASON }, async () => {
  const ner = await pipeline('token-classification', withTokenizer('electra-discriminator'), { threads: 1 });
  try {
    const text = 'the cat sat on the mat';
    const tokens = ner.model.tokenize(text).tokens.length - 2;  // without [CLS] and [SEP]
    const none = await ner(text, { ignore_labels: [] });
    assert.equal(none.length, tokens);
    for (const e of none) {
      assert.ok(e.entity === 'replaced' || e.entity === 'original');
      assert.ok(e.score >= 0.5 && e.score <= 1);
      assert.equal(text.slice(e.start, e.end), e.word.replace(/^##/, ''));
    }
    const words = await ner(text, { aggregation_strategy: 'first', ignore_labels: [] });
    assert.equal(words.map((/** @type {any} */ g) => g.word).join(' '), text);
    const replaced = await ner(text, { aggregation_strategy: 'first', ignore_labels: ['original'] });
    assert.ok(replaced.every((/** @type {any} */ g) => g.entity_group === 'replaced'));
  } finally {
    await ner.dispose();
  }
});

test('feature-extraction: ERNIE (task types) gives Hugging Face\'s hidden states',
  { skip: SKIP_REASON }, async () => {
    const ref = readTensors(`${v2('ernie-model')}/reference.safetensors`);
    const extract = await pipeline('feature-extraction', v2('ernie-model'), { threads: 1 });
    try {
      const out = await extract(idsOf(ref), { pooling: 'none' });
      assert.deepEqual(out.dims, ref.last_hidden_state.shape);
      // pooling 'none' returns each row's real tokens (padding zeroed): compare those.
      const [batch, seq, hidden] = ref.last_hidden_state.shape;
      let err = 0;
      for (let i = 0; i < out.data.length; i++) {
        const token = Math.floor(i / hidden);
        if (!Number(ref.attention_mask.data[token])) continue;
        err = Math.max(err, Math.abs(out.data[i] - ref.last_hidden_state.data[i]));
      }
      assert.ok(batch === 3 && seq === 12 && err <= TOL * 4, `max abs error ${err}`);
    } finally {
      await extract.dispose();
    }
  });

for (const name of ['ernie-maskedlm', 'electra-maskedlm']) {
  test(`fill-mask: ${name} fills [MASK] from text`, { skip: SKIP_REASON }, async () => {
    const unmask = await pipeline('fill-mask', withTokenizer(name), { threads: 1 });
    try {
      const out = await unmask('the cat [MASK] on the mat.', { top_k: 3 });
      assert.equal(out.length, 3);
      assert.ok(out[0].score >= out[1].score && out[1].score >= out[2].score);
      for (const r of out) assert.ok(r.sequence.startsWith('the cat') && r.token < 1000, r.sequence);
      // The fill-mask scores are the softmax of the model's logits at the mask position.
      const enc = unmask.model.tokenize('the cat [MASK] on the mat.');
      const at = Array.from(enc.ids).indexOf(/** @type {number} */ (unmask.model.info.mask_token_id));
      const logits = /** @type {any} */ (unmask.model.forward('the cat [MASK] on the mat.')).logits;
      const p = softmax(logits.data.subarray(at * 1000, (at + 1) * 1000));
      assert.ok(Math.abs(out[0].score - Math.max(...p)) <= TOL);
    } finally {
      await unmask.dispose();
    }
  });
}

for (const name of ['ernie-questionanswering', 'electra-questionanswering']) {
  test(`question-answering: ${name} answers with a span of the context`, { skip: SKIP_REASON }, async () => {
    const qa = await pipeline('question-answering', withTokenizer(name), { threads: 1 });
    try {
      const context = 'the cat sat on the mat in the house';
      const out = await qa({ question: 'where is the cat', context });
      assert.equal(context.slice(out.start, out.end), out.answer);
      assert.ok(out.score > 0 && out.score <= 1);
    } finally {
      await qa.dispose();
    }
  });
}

test('model.info: ERNIE task types, ELECTRA embedding size and discriminator head', { skip: SKIP_REASON }, async () => {
  const ernie = await BertologyModel.load(v2('ernie-model'), { threads: 1 });
  const electra = await BertologyModel.load(v2('electra-discriminator'), { threads: 1 });
  try {
    assert.equal(ernie.info.model_type, 'ernie');
    assert.equal(ernie.info.task_type_vocab_size, 3);
    assert.equal(electra.info.embedding_size, 16);
    assert.equal(electra.info.hidden_size, 32);
    assert.equal(electra.info.head, 'replaced_token_detection');
    // task_type_ids default to 0: the same as passing zeros, different from other task types.
    const ids = { input_ids: [[1, 7, 8, 2]] };
    const zero = ernie.forward(ids).last_hidden_state;
    const zeros = ernie.forward({ ...ids, task_type_ids: [[0, 0, 0, 0]] }).last_hidden_state;
    const ones = ernie.forward({ ...ids, task_type_ids: [[1, 1, 1, 1]] }).last_hidden_state;
    assert.deepEqual(zero?.data, zeros?.data);
    assert.notDeepEqual(zero?.data, ones?.data);
    assert.throws(() => ernie.forward({ ...ids, task_type_ids: [[0, 3, 0, 0]] }),
      (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT' && /task_type_ids/.test(e.message) && /task types \[0, 3\)/.test(e.message));
    assert.deepEqual(ernie.forward(ids).last_hidden_state?.data, zero?.data, 'the model keeps working');
  } finally {
    ernie.dispose();
    electra.dispose();
  }
});

test('demo model picker: every <Family>For<Head> maps to a task whose pipeline runs the head', { skip: SKIP_REASON }, async () => {
  const { headTask } = await import('../../demo/server.mjs');
  const { SUPPORTED_TASKS, TASK_ALIASES } = await import('../../js/pipeline.js');
  const { readFileSync, readdirSync } = await import('node:fs');
  const { REPO } = await import('./helpers/shared.js');
  const listed = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/tiny-v2-models.json'), 'utf8')).models;
  const dirs = [...listed.map((/** @type {string} */ n) => v2(n)),
    ...readdirSync(sharedPath('models', 'tiny')).map((n) => sharedPath('models', 'tiny', n))];
  for (const dir of dirs) {
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const task = headTask(config.architectures[0], config.model_type);
    const spec = SUPPORTED_TASKS[TASK_ALIASES[task] ?? task];
    assert.ok(spec, `${dir}: ${task}`);
    const model = await BertologyModel.load(dir, { threads: 1 });
    try {
      assert.ok(spec.heads === null || spec.heads.includes(model.info.head),
        `${config.architectures[0]} → ${task}, whose pipeline does not run a ${model.info.head} head`);
      if (/For(SequenceClassification|TokenClassification|QuestionAnswering|MaskedLM|PreTraining)$/.test(config.architectures[0])) {
        assert.notEqual(task, 'feature-extraction', `${config.architectures[0]} has a task head`);
      }
    } finally {
      model.dispose();
    }
  }
  assert.equal(headTask('XLNetForQuestionAnsweringSimple', 'xlnet'), 'question-answering');
  assert.equal(headTask('XLNetLMHeadModel', 'xlnet'), 'fill-mask');
  assert.equal(headTask('ElectraForPreTraining', 'electra'), 'ner');
  assert.equal(headTask('BertForPreTraining', 'bert'), 'fill-mask');
  assert.equal(headTask('DebertaV2ForMaskedLM', 'deberta-v2'), 'fill-mask');
});

test('explain: an ELECTRA discriminator token (sigmoid probability, integrated gradients complete)', { skip: SKIP_REASON }, async () => {
  const ner = await pipeline('token-classification', withTokenizer('electra-discriminator'), { threads: 1 });
  try {
    const text = 'the cat sat on the mat';
    const e = await ner.explain(text, { method: 'integrated_gradients', steps: 64, token: 2, output: 'probability' });
    const logit = /** @type {any} */ (ner.model.forward(text)).logits.data[2];
    assert.equal(e.prediction.label, 'replaced');
    assert.equal(e.prediction.position, 2);
    assert.ok(Math.abs(e.prediction.score - 1 / (1 + Math.exp(-logit))) <= 1e-5, `${e.prediction.score} vs sigmoid(${logit})`);
    assert.ok(Math.abs(e.prediction.logit - logit) <= 1e-5);
    // Completeness: the attributions add up to f(x) - f(baseline) (the gradient path through the
    // projection and the discriminator head).
    assert.ok(Math.abs(/** @type {number} */ (e.completeness_gap)) <= 0.02, `completeness gap ${e.completeness_gap}`);
  } finally {
    await ner.dispose();
  }
});
