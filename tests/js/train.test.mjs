// Trainer (js/train/): head-only training on frozen features, save → a Hugging Face folder, resume,
// cancel, determinism, bad inputs, data readers, the `bertology train` CLI.
// Oracles: the tensor names/shapes and config fields of folders saved by Hugging Face transformers
// (tiny-*-sequenceclassification / -tokenclassification, bert-mini-sst2); pipeline() on the saved
// folder (the engine's own classifier) against the trainer's JS head; seqeval-style CoNLL scoring
// (js/eval/conll03.js) on the reloaded model against the trainer's entity F1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BertologyModel, pipeline, shutdown } from '../../js/index.js';
import { Trainer, labelsOf, parseDelimited, parseExamples, macroF1 } from '../../js/train/index.js';
import { evaluateConll } from '../../js/eval/conll03.js';
import { engineCanTrain } from '../../js/train/engine.js';
import { parseSafetensors } from './helpers/safetensors.js';
import { tempModels, tinyWithTokenizer } from './helpers/model-copies.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';

const skip = SKIP_REASON;
const tmp = tempModels('bertology-train-');
after(async () => { tmp.cleanup(); await shutdown(); });

const WORDS = ['good', 'great', 'fine', 'nice', 'bad', 'awful', 'poor', 'sad', 'the', 'movie', 'was', 'film', 'very', 'not'];
/** A small labelled set the tiny models can separate a little: positive words vs negative words. */
function toyExamples(n, seed = 1) {
  let s = seed;
  const r = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  return Array.from({ length: n }, () => {
    const pos = r() < 0.5;
    const w = () => WORDS[Math.floor(r() * 8)];
    const key = pos ? WORDS[Math.floor(r() * 4)] : WORDS[4 + Math.floor(r() * 4)];
    return { text: `the movie was ${key} ${w()} ${key}`, label: pos ? 'positive' : 'negative' };
  });
}

/** Names and shapes of a safetensors file (or of several shards). */
function shapes(...files) {
  const out = {};
  for (const f of files) for (const t of parseSafetensors(readFileSync(f)).tensors) out[t.name] = t.shape;
  return out;
}

/** @type {Record<string, string>} */
const dirs = {};
before(() => {
  if (skip) return;
  for (const name of ['tiny-bert-bert-maskedlm', 'tiny-distilbert-distilbert-maskedlm', 'tiny-roberta-roberta-maskedlm', 'tiny-bert-bertmodel']) {
    dirs[name] = tinyWithTokenizer(name, join(tmp.root, name));
  }
});

for (const [name, reference] of [
  ['tiny-bert-bert-maskedlm', 'tiny-bert-bert-sequenceclassification'],
  ['tiny-bert-bertmodel', 'tiny-bert-bert-sequenceclassification'],
  ['tiny-distilbert-distilbert-maskedlm', 'tiny-distilbert-distilbert-sequenceclassification'],
  ['tiny-roberta-roberta-maskedlm', 'tiny-roberta-roberta-sequenceclassification'],
]) {
  test(`head-only: ${name} → saved folder has transformers' tensor names/shapes; pipeline() reproduces the trainer`, { skip }, async () => {
    const model = await BertologyModel.load(dirs[name], { threads: 1 });
    const trainer = await Trainer.create(model, { labels: ['negative', 'positive', 'neutral'], epochs: 2, batch_size: 8, optimizer: { lr: 1e-2 }, seed: 3 });
    const train = toyExamples(48);
    train[0] = { text: 'so so', label: 'neutral' };
    const fit = await trainer.fit(train);
    assert.ok(Number.isFinite(fit.loss) && fit.steps === 12, JSON.stringify(fit));
    const out = join(tmp.root, `${name}-out`);
    const files = await trainer.save(out);
    assert.deepEqual(Object.keys(files).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);

    // transformers' own saved classifier of this architecture is the oracle for names and shapes
    // (the label count differs: 3 here).
    const refDir = sharedPath('models', 'tiny', reference);
    const expected = shapes(join(refDir, 'model.safetensors'));
    const got = shapes(join(out, 'model.safetensors'));
    for (const [k, shape] of Object.entries(expected)) {
      if (/(^|\.)(classifier|out_proj)\.(weight|bias)$/.test(k)) expected[k] = [3, ...shape.slice(1)];
    }
    assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
    for (const k of Object.keys(expected)) assert.deepEqual(got[k], expected[k], k);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    const refConfig = JSON.parse(readFileSync(join(refDir, 'config.json'), 'utf8'));
    assert.deepEqual(config.architectures, refConfig.architectures);
    assert.deepEqual(config.id2label, { 0: 'negative', 1: 'positive', 2: 'neutral' });
    assert.deepEqual(config.label2id, { negative: 0, positive: 1, neutral: 2 });
    assert.equal(parseSafetensors(files['model.safetensors']).metadata?.format, 'pt');

    const texts = ['the movie was good', 'awful awful film', 'so so', 'nice but sad'];
    const mine = await trainer.predict(texts);
    const classifier = await pipeline('text-classification', out, { threads: 1 });
    const theirs = await classifier(texts, { top_k: null });
    texts.forEach((_, i) => {
      assert.deepEqual(theirs[i].map((x) => x.label), mine[i].map((x) => x.label), texts[i]);
      theirs[i].forEach((x, k) => assert.ok(Math.abs(x.score - mine[i][k].score) < 1e-5, `${texts[i]}: ${x.score} vs ${mine[i][k].score}`));
    });
    await classifier.dispose();
    model.dispose();
  });
}

test('bert-mini-mlm → text classifier: the same tensor names and shapes as transformers\' bert-mini-sst2', { skip }, async () => {
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-mlm'), { threads: 1 });
  const trainer = await Trainer.create(model, { labels: ['NEGATIVE', 'POSITIVE'] });
  const files = await trainer.save();
  const got = Object.fromEntries(parseSafetensors(files['model.safetensors']).tensors.map((t) => [t.name, t.shape]));
  const ref = sharedPath('models', 'bert-mini-sst2');
  const index = JSON.parse(readFileSync(join(ref, 'model.safetensors.index.json'), 'utf8'));
  const expected = shapes(...[...new Set(Object.values(index.weight_map))].map((f) => join(ref, f)));
  assert.deepEqual(got, Object.fromEntries(Object.keys(got).sort().map((k) => [k, expected[k]])));
  assert.deepEqual(Object.keys(got).sort(), Object.keys(expected).sort());
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  const refConfig = JSON.parse(readFileSync(join(ref, 'config.json'), 'utf8'));
  for (const k of ['architectures', 'id2label', 'label2id', 'hidden_size', 'num_hidden_layers', 'vocab_size']) assert.deepEqual(config[k], refConfig[k], k);
  // bert-mini-mlm is stored in float16 (its config says so); the fresh head is float32, so the folder's dtype is too
  assert.equal(JSON.parse(readFileSync(sharedPath('models', 'bert-mini-mlm', 'config.json'), 'utf8')).dtype, 'float16');
  assert.ok(parseSafetensors(files['model.safetensors']).tensors.some((t) => t.dtype === 'F32'));
  assert.equal(config.dtype, 'float32');
  model.dispose();
});

test('token classification: CoNLL head on frozen features; the reloaded model scores the same entity F1', { skip }, async () => {
  const model = await BertologyModel.load(dirs['tiny-bert-bert-maskedlm'], { threads: 1 });
  const conll = parseExamples(readFileSync(sharedPath('data', 'conll2003', 'valid.txt'), 'utf8'), 'conll').slice(0, 80)
    .map((s) => ({ words: s.words.map((w) => w.toLowerCase()), tags: s.tags }));
  const labels = labelsOf(conll);
  assert.equal(labels[0], 'O');
  const trainer = await Trainer.create(model, { task: 'token-classification', labels, epochs: 3, optimizer: { lr: 1e-2 }, max_length: 64, truncation: true });
  await trainer.fit(conll);
  const mine = await trainer.evaluate(conll);
  const out = join(tmp.root, 'tiny-ner-out');
  await trainer.save(out);
  const shapesGot = shapes(join(out, 'model.safetensors'));
  const refShapes = shapes(sharedPath('models', 'tiny', 'tiny-bert-bert-tokenclassification', 'model.safetensors'));
  assert.deepEqual(Object.keys(shapesGot).sort(), Object.keys(refShapes).sort());
  assert.deepEqual(shapesGot['classifier.weight'], [labels.length, 32]);
  assert.deepEqual(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures, ['BertForTokenClassification']);
  const reloaded = await BertologyModel.load(out, { threads: 1 });
  const theirs = evaluateConll(reloaded, conll);
  assert.ok(Math.abs(theirs.f1 - mine.f1) < 1e-12, `${theirs.f1} vs ${mine.f1}`);
  reloaded.dispose();
  model.dispose();
});

test('deterministic with a seed; resume after cancel reaches the uninterrupted run exactly', { skip }, async () => {
  const model = await BertologyModel.load(dirs['tiny-bert-bert-maskedlm'], { threads: 1 });
  const train = toyExamples(64, 7);
  const opts = { labels: ['negative', 'positive'], epochs: 3, batch_size: 8, seed: 11, optimizer: { lr: 5e-3, warmup: 0.1, weight_decay: 0.01 } };
  const a = await Trainer.create(model, opts);
  const ra = await a.fit(train);
  const b = await Trainer.create(model, opts);
  await b.fit(train);
  assert.deepEqual(a.head.weight, b.head.weight);
  const c = await Trainer.create(model, { ...opts, seed: 12 });
  await c.fit(train);
  assert.notDeepEqual(a.head.weight, c.head.weight);

  // cancel in the middle of epoch 2, checkpoint, continue in a new trainer
  const controller = new AbortController();
  const d = await Trainer.create(model, opts);
  await assert.rejects(d.fit(train, { signal: controller.signal, onProgress: (p) => { if (p.phase === 'train' && /** @type {number} */ (p.step) >= 11) controller.abort(); } }),
    (e) => e.name === 'AbortError' && e.code === 'ABORTED');
  assert.ok(d.step >= 11 && d.step < 24, `stopped at ${d.step}`);
  const e = await Trainer.create(model, { ...opts, resume: d.checkpoint() });
  assert.equal(e.step, d.step);
  const re = await e.fit(train);
  assert.deepEqual(e.head.weight, a.head.weight);
  assert.equal(re.loss, ra.loss);
  await assert.rejects(Trainer.create(model, { ...opts, seed: 5, resume: d.checkpoint() }), /seed/);
  model.dispose();
});

test('progress reports loss and examples/s; evaluate gives accuracy and macro-F1', { skip }, async () => {
  const model = await BertologyModel.load(dirs['tiny-bert-bert-maskedlm'], { threads: 1 });
  const trainer = await Trainer.create(model, { labels: ['negative', 'positive'], epochs: 2, batch_size: 16 });
  /** @type {any[]} */
  const events = [];
  await trainer.fit(toyExamples(64), { onProgress: (p) => events.push(p) });
  const features = events.filter((e) => e.phase === 'features');
  assert.equal(features.at(-1).done, features.at(-1).total);
  const steps = events.filter((e) => e.phase === 'train');
  assert.equal(steps.at(-1).step, 8);
  assert.equal(steps.at(-1).total_steps, 8);
  assert.ok(steps.every((e) => Number.isFinite(e.loss) && e.examples_per_second > 0));
  const ev = await trainer.evaluate(toyExamples(40, 9));
  assert.ok(ev.accuracy >= 0 && ev.accuracy <= 1 && Number.isFinite(ev.macro_f1) && Number.isFinite(ev.loss));
  assert.deepEqual(Object.keys(ev.per_label), ['negative', 'positive']);
  model.dispose();
});

test('bad inputs give clear INVALID_ARGUMENT errors', { skip }, async () => {
  const model = await BertologyModel.load(dirs['tiny-bert-bert-maskedlm'], { threads: 1 });
  const labels = ['negative', 'positive'];
  const invalid = (/** @type {RegExp} */ re) => (/** @type {any} */ e) => e.code === 'INVALID_ARGUMENT' && re.test(e.message);
  await assert.rejects(Trainer.create(model, { labels, optimizer: { lr: NaN } }), invalid(/optimizer\.lr must be a finite number > 0, got NaN/));
  await assert.rejects(Trainer.create(model, { labels, optimizer: { lr: -1 } }), invalid(/optimizer\.lr/));
  await assert.rejects(Trainer.create(model, { labels: ['only'] }), invalid(/at least 2 label names/));
  await assert.rejects(Trainer.create(model, { labels, epochs: 0 }), invalid(/epochs/));
  await assert.rejects(Trainer.create(model, { labels, bogus: 1 }), invalid(/unknown option "bogus"/));
  await assert.rejects(Trainer.create(model, { labels, optimizer: { learning_rate: 1 } }), invalid(/unknown optimizer option "learning_rate"/));
  const t = await Trainer.create(model, { labels });
  await assert.rejects(t.fit([]), invalid(/the dataset is empty/));
  await assert.rejects(t.fit([{ text: 'good', label: 'positive' }, { text: 'fine', label: 'positive' }]), invalid(/at least 2 labels/));
  await assert.rejects(t.fit([{ text: 'good', label: 'positive' }, { text: 'bad', label: 'mixed' }]),
    (e) => e.code === 'INVALID_ARGUMENT' && e.index === 1 && e.value === 'mixed' && /label "mixed"/.test(e.message));
  await assert.rejects(t.fit([{ text: 'good', label: 'positive' }, { text: 'bad', label: 2 }]), invalid(/example 1 has label 2/));
  const long = Array.from({ length: 100 }, () => 'good').join(' ');
  await assert.rejects(t.fit([{ text: 'good', label: 0 }, { text: long, label: 1 }]),
    (e) => e.code === 'INVALID_ARGUMENT' && e.index === 1 && e.limit === 'max_length' && e.max === 64 && /over the limit of 64/.test(e.message));
  const cut = await Trainer.create(model, { labels, truncation: true });
  await cut.fit([{ text: 'good', label: 0 }, { text: long, label: 1 }]);
  if (engineCanTrain(model)) await assert.rejects(Trainer.create(model, { labels, train: { lora: { r: 0 } } }), invalid(/train\.lora\.r must be an integer >= 1/));
  else await assert.rejects(Trainer.create(model, { labels, train: { layers: 2 } }), (e) => e.code === 'UNSUPPORTED');
  const mean = await Trainer.create(model, { labels, pooling: 'mean' });
  await assert.rejects(mean.save(), (e) => e.code === 'UNSUPPORTED' && /mean-pooled/.test(e.message));
  model.dispose();
});

test('defaults per mode (head / LoRA / layers, MODE_DEFAULTS as documented); given options replace them', { skip }, async () => {
  const model = await BertologyModel.load(dirs['tiny-bert-bert-maskedlm'], { threads: 1 });
  const labels = ['negative', 'positive'];
  const head = await Trainer.create(model, { labels });
  assert.deepEqual([head.optimizer.lr, head.optimizer.warmup, head.batchSize, head.epochs], [1e-3, 0, 32, 3]);
  const lora = await Trainer.create(model, { labels, train: { lora: { r: 4 } } });
  assert.deepEqual([lora.optimizer.lr, lora.optimizer.warmup, lora.batchSize, lora.epochs], [5e-4, 0.06, 16, 3]);
  const layers = await Trainer.create(model, { labels, train: { layers: 1 } });
  assert.deepEqual([layers.optimizer.lr, layers.optimizer.warmup, layers.batchSize, layers.epochs], [3e-4, 0.06, 16, 3]);
  const mine = await Trainer.create(model, { labels, train: { layers: 1 }, optimizer: { lr: 5e-5, warmup: 0 }, batch_size: 8, epochs: 2 });
  assert.deepEqual([mine.optimizer.lr, mine.optimizer.warmup, mine.batchSize, mine.epochs], [5e-5, 0, 8, 2]);
  for (const t of [head, lora, layers, mine]) t.dispose();
  model.dispose();
});

test('data readers: SST-2 TSV, CSV with quotes, header-less rows, CoNLL; macro-F1', () => {
  assert.deepEqual(parseExamples('sentence\tlabel\nit is good \t1\nbad\t0\n', 'sst2'), [{ text: 'it is good ', label: 1 }, { text: 'bad', label: 0 }]);
  assert.deepEqual(parseDelimited('text,label\n"a, ""quoted"" one",pos\r\nplain,neg\n'), [{ text: 'a, "quoted" one', label: 'pos' }, { text: 'plain', label: 'neg' }]);
  assert.deepEqual(parseDelimited('great film,positive\nawful,negative'), [{ text: 'great film', label: 'positive' }, { text: 'awful', label: 'negative' }]);
  assert.deepEqual(parseDelimited('review,class,sentence2\nx,a,y\n'), [{ text: 'x', label: 'a', text_pair: 'y' }]);
  assert.throws(() => parseDelimited('text,label\n"open,pos\n'), /not closed/);
  assert.throws(() => parseDelimited('text,label\nonly text,\n'), /empty label/);
  const conll = parseExamples('-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n', 'conll');
  assert.deepEqual(conll, [{ words: ['EU', 'rejects'], tags: ['B-ORG', 'O'] }, { words: ['Peter'], tags: ['B-PER'] }]);
  assert.deepEqual(labelsOf(conll), ['O', 'B-ORG', 'B-PER']);
  assert.deepEqual(labelsOf([{ text: 'a', label: 1 }, { text: 'b', label: 0 }], { names: ['negative', 'positive'] }), ['negative', 'positive']);
  // macro-F1 by hand: label 0 P=1/2 R=1/2, label 1 P=2/3 R=2/3, label 2 absent from both (skipped)
  const { macro_f1 } = macroF1([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 3);
  assert.ok(Math.abs(macro_f1 - (0.5 + 2 / 3) / 2) < 1e-12);
});

test('bertology train: progress on stderr, final JSON line, a folder pipeline() loads', { skip }, async () => {
  const data = join(tmp.root, 'train.csv');
  writeFileSync(data, `text,label\n${toyExamples(40).map((e) => `${e.text},${e.label}`).join('\n')}\n`);
  const out = join(tmp.root, 'cli-out');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(REPO, 'bin', 'bertology.mjs'), 'train',
    '--model', dirs['tiny-bert-bert-maskedlm'], '--data', data, '--eval', data, '--epochs', '2', '--batch', '8', '--out', out, '--threads', '1']);
  assert.match(stderr, /epoch 2\.00 step 10\/10 loss/);
  const last = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.deepEqual(last.labels, ['negative', 'positive']);
  assert.equal(last.steps, 10);
  assert.ok(last.eval.accuracy >= 0 && last.eval.accuracy <= 1);
  const classifier = await pipeline('text-classification', out, { threads: 1 });
  const [r] = await classifier('the movie was good');
  assert.ok(['negative', 'positive'].includes(r.label));
  await classifier.dispose();
  const bad = await promisify(execFile)(process.execPath, [join(REPO, 'bin', 'bertology.mjs'), 'train', '--model', dirs['tiny-bert-bert-maskedlm'],
    '--data', data, '--lr', 'nan']).catch((e) => e);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--lr must be a number/);
});
