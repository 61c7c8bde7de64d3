// Trainer with encoder layers / LoRA (the engine's Trainer binding, src/train/): the loss goes down, a
// saved folder has transformers' tensor names and shapes (tiny-*-sequenceclassification saved by
// transformers is the oracle) and pipeline() on it predicts what the trainer predicts, a checkpoint resumes
// to the uninterrupted run's loss, token classification reloads to the same entity F1. Skips (with the
// reason) in builds without the training bindings.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertologyModel, Trainer, labelsOf, parseExamples, pipeline, shutdown } from '../../js/index.js';
import { evaluateConll } from '../../js/eval/conll03.js';
import { engineCanTrain } from '../../js/train/engine.js';
import { parseSafetensors } from './helpers/safetensors.js';
import { tempModels, tinyWithTokenizer } from './helpers/model-copies.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const tmp = tempModels('bertology-train-engine-');
/** @type {string} */
let dir = '';
/** @type {string | false} */
let skip = SKIP_REASON;
before(async () => {
  if (skip) return;
  dir = tinyWithTokenizer('tiny-bert-bert-maskedlm', join(tmp.root, 'tiny'));
  const probe = await BertologyModel.load(dir, { threads: 1 });
  if (!engineCanTrain(probe)) skip = 'this build has no engine training bindings (module.Trainer)';
  probe.dispose();
});
after(async () => { tmp.cleanup(); await shutdown(); });

const examples = Array.from({ length: 48 }, (_, i) => (i % 2
  ? { text: `the movie was good ${['nice', 'great', 'fine'][i % 3]}`, label: 'positive' }
  : { text: `the movie was bad ${['sad', 'awful', 'poor'][i % 3]}`, label: 'negative' }));

/** @type {import('../../js/train/options.js').TrainerOptions['train'][]} */
const modes = [{ lora: { r: 4, alpha: 8 } }, { layers: 2 }, { layers: 'all' },
  // dropout in the training forward (config.json's rates) and LoRA on every projection PEFT names
  { lora: { r: 4, alpha: 8, target_modules: ['query', 'key', 'value', 'dense'] }, dropout: true },
  { layers: 2, dropout: { hidden: 0.1, attention: 0.1, classifier: 0.2 } }];
for (const train of modes) {
  test(`engine training ${JSON.stringify(train)}: loss falls; the saved folder reloads with the trainer's predictions`, async (t) => {
    if (skip) return t.skip(String(skip));
    const model = await BertologyModel.load(dir, { threads: 1 });
    const trainer = await Trainer.create(model, { labels: ['negative', 'positive'], train, epochs: 4, batch_size: 8, seed: 3,
      optimizer: { lr: 5e-3, warmup: 0, ...(train?.dropout ? { head_lr: 1e-2 } : {}) } });  // the setting this test was written for (LoRA/layers now default to warmup 0.06)
    // The loss over the training examples before and after (progress reports average over time windows,
    // which depend on the machine's load: not a deterministic measure).
    const crossEntropy = async () => {
      const scores = await trainer.predict(examples.map((e) => e.text));
      return scores.reduce((s, row, i) => s - Math.log(/** @type {any} */ (row.find((x) => x.label === examples[i].label)).score), 0) / examples.length;
    };
    const before = await crossEntropy();
    await trainer.fit(examples);
    const afterFit = await crossEntropy();
    assert.ok(afterFit < before, `loss ${before} → ${afterFit}`);
    const files = await trainer.save();
    const got = Object.fromEntries(parseSafetensors(files['model.safetensors']).tensors.map((x) => [x.name, x.shape]));
    const ref = Object.fromEntries(parseSafetensors(readFileSync(sharedPath('models', 'tiny', 'tiny-bert-bert-sequenceclassification', 'model.safetensors')))
      .tensors.map((x) => [x.name, x.shape]));
    assert.deepEqual(Object.keys(got).sort(), Object.keys(ref).sort());
    for (const k of Object.keys(ref)) assert.deepEqual(got[k], /^classifier\./.test(k) ? [2, ...ref[k].slice(1)] : ref[k], k);
    const texts = ['the movie was good', 'bad sad film', 'so so'];
    const mine = await trainer.predict(texts);
    const classifier = await pipeline('text-classification', files, { threads: 1 });
    const theirs = await classifier(texts, { top_k: null });
    texts.forEach((_, i) => theirs[i].forEach((x, k) => {
      assert.equal(x.label, mine[i][k].label);
      assert.ok(Math.abs(x.score - mine[i][k].score) < 1e-4, `${x.score} vs ${mine[i][k].score}`);
    }));
    await classifier.dispose();
    trainer.dispose();
    model.dispose();
  });
}

test('engine training resumes from a checkpoint to the uninterrupted loss', async (t) => {
  if (skip) return t.skip(String(skip));
  const model = await BertologyModel.load(dir, { threads: 1 });
  const opts = { labels: ['negative', 'positive'], train: { lora: { r: 4, alpha: 8 } }, epochs: 2, batch_size: 8, seed: 5, optimizer: { lr: 5e-3, warmup: 2 } };
  const a = await Trainer.create(model, opts);
  const ra = await a.fit(examples);
  const controller = new AbortController();
  const b = await Trainer.create(model, opts);
  await assert.rejects(b.fit(examples, { signal: controller.signal, onProgress: (p) => { if (p.phase === 'train' && /** @type {number} */ (p.step) >= 5) controller.abort(); } }),
    (e) => e.code === 'ABORTED');
  const c = await Trainer.create(model, { ...opts, resume: b.checkpoint() });
  const rc = await c.fit(examples);
  assert.ok(Math.abs(rc.loss - ra.loss) < 1e-6, `${rc.loss} vs ${ra.loss}`);
  for (const x of [a, b, c]) x.dispose();
  model.dispose();
});

test('engine token classification (last layer): the reloaded model scores the same entity F1', async (t) => {
  if (skip) return t.skip(String(skip));
  const model = await BertologyModel.load(dir, { threads: 1 });
  const conll = parseExamples(readFileSync(sharedPath('data', 'conll2003', 'valid.txt'), 'utf8'), 'conll').slice(0, 40)
    .map((s) => ({ words: s.words.map((w) => w.toLowerCase()), tags: s.tags }));
  const trainer = await Trainer.create(model, { task: 'token-classification', labels: labelsOf(conll), train: { layers: 1 }, epochs: 2,
    batch_size: 8, optimizer: { lr: 5e-3 }, max_length: 64, truncation: true });
  await trainer.fit(conll);
  const mine = await trainer.evaluate(conll);
  const out = join(tmp.root, 'ner');
  await trainer.save(out);
  const reloaded = await BertologyModel.load(out, { threads: 1 });
  const theirs = evaluateConll(reloaded, conll);
  assert.ok(Math.abs(theirs.f1 - mine.f1) < 1e-9, `${theirs.f1} vs ${mine.f1}`);
  reloaded.dispose();
  trainer.dispose();
  model.dispose();
});

test('dropout, head_lr and LoRA targets: config rates, checks, clear errors', async (t) => {
  if (skip) return t.skip(String(skip));
  const model = await BertologyModel.load(dir, { threads: 1 });
  const labels = ['negative', 'positive'];
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  // true: Hugging Face's rates from config.json (BERT: hidden_dropout_prob, attention_probs_dropout_prob;
  // classifier_dropout null → the hidden rate)
  const on = await Trainer.create(model, { labels, train: { layers: 1, dropout: true } });
  assert.deepEqual(on.engineSpec?.dropout, { hidden: config.hidden_dropout_prob, attention: config.attention_probs_dropout_prob,
    classifier: config.classifier_dropout ?? config.hidden_dropout_prob });
  on.dispose();
  const off = await Trainer.create(model, { labels, train: { layers: 1, dropout: false } });
  assert.equal(off.engineSpec?.dropout, undefined);
  off.dispose();
  /** @type {[object, string, RegExp][]} */
  const bad = [
    [{ train: { layers: 1, dropout: { hidden: 1 } } }, 'INVALID_ARGUMENT', /train\.dropout\.hidden/],
    [{ train: { layers: 1, dropout: { rate: 0.1 } } }, 'INVALID_ARGUMENT', /unknown train\.dropout option "rate"/],
    [{ train: { dropout: true } }, 'INVALID_ARGUMENT', /head-only/],
    [{ optimizer: { head_lr: 1e-3 } }, 'INVALID_ARGUMENT', /head_lr/],
    [{ train: { lora: { r: 2, dropout: 0.1 } } }, 'UNSUPPORTED', /lora\.dropout/],
    [{ train: { lora: { r: 2, target_modules: [] } } }, 'INVALID_ARGUMENT', /target_modules/],
    [{ train: { lora: { r: 2, targets: ['query'] } } }, 'INVALID_ARGUMENT', /unknown train\.lora option "targets"/],
  ];
  for (const [options, code, message] of bad) {
    await assert.rejects(Trainer.create(model, /** @type {any} */ ({ labels, ...options })), (e) => e.code === code && message.test(e.message), JSON.stringify(options));
  }
  // A target that names no module of the model: the engine says which names exist, when the run starts.
  const nowhere = await Trainer.create(model, { labels, train: { lora: { r: 2, target_modules: ['q_lin'] } } });
  await assert.rejects(nowhere.fit(examples.slice(0, 8)), (e) => e.code === 'INVALID_ARGUMENT' && /q_lin.*matches no module.*attention\.self\.query/.test(e.message));
  nowhere.dispose();
  model.dispose();
});
