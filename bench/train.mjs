// Fine-tuning learning curves (issue 19): SST-2 dev accuracy of bert-mini-mlm after training on the
// first 100 / 500 / 2,000 / 10,000 SST-2 train sentences, per training mode; CoNLL-03 test entity F1
// after 1,000 training sentences; time per epoch and per feature pass in Node at 1 and 2 threads.
// Not a test: writes bench/train.json and bench/train.md (bench/run.mjs copies train.md into RESULTS.md).
//
//   node bench/train.mjs [--sizes 100,500,2000,10000] [--conll 1000] [--threads 1,2] [--quick]
//                        [--modes head-mean,head-cls,lora,last-2-layers,conll,timing]
//
// Modes: head-cls (the saved *ForSequenceClassification head: classifier on the (fresh, frozen) pooler
// output), head-mean (linear probe on mean-pooled features, L2 at scikit-learn's C = 0.01), and — when the
// engine has training bindings — lora (r 8, alpha 16, query/value) and last-2-layers. Modes the build
// cannot run are reported as such.

import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { BertologyModel, shutdown } from '../js/index.js';
import { Trainer, parseConllExamples, parseSst2Tsv, labelsOf } from '../js/train/index.js';
import { engineCanTrain } from '../js/train/engine.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(process.env.BERTOLOGY_SHARED ?? join(ROOT, '..', 'shared'));
const { values } = parseArgs({ options: {
  sizes: { type: 'string', default: '100,500,2000,10000' }, conll: { type: 'string', default: '1000' },
  threads: { type: 'string', default: '1,2' }, quick: { type: 'boolean', default: false },
  modes: { type: 'string', default: 'head-mean,head-cls,lora,last-2-layers,conll,timing' },
  json: { type: 'string', default: join(ROOT, 'bench', 'train.json') }, md: { type: 'string', default: join(ROOT, 'bench', 'train.md') },
} });
const sizes = values.quick ? [100, 500] : values.sizes.split(',').map(Number);
const threadList = values.threads.split(',').map(Number);
const modeList = values.modes.split(',');
const labels = ['negative', 'positive'];
const trainAll = parseSst2Tsv(readFileSync(join(SHARED, 'data/sst2/train.tsv'), 'utf8'));
const dev = parseSst2Tsv(readFileSync(join(SHARED, 'data/sst2/dev.tsv'), 'utf8'));
const maxN = Math.max(...sizes);
const train = trainAll.slice(0, maxN);
const started = new Date();
/** @type {any[]} */
const rows = [];
const log = (/** @type {string} */ s) => console.error(`[train-bench] ${s}`);

const model = await BertologyModel.load(join(SHARED, 'models/bert-mini-mlm'), { threads: Math.max(...threadList) });
const canEngine = engineCanTrain(model);

// Head-only: one trainer per pooling encodes all texts once; reset() between sizes keeps the features.
for (const [mode, pooling, epochs, lr] of /** @type {const} */ ([['head-mean', 'mean', 20, 1e-2], ['head-cls', 'cls', 10, 1e-3]])) {
  if (!modeList.includes(mode)) continue;
  const t = await Trainer.create(model, { labels, pooling, epochs, batch_size: 32, seed: 42, optimizer: { lr } });
  const t0 = performance.now();
  await t.features([...train, ...dev]);
  const featureSeconds = (performance.now() - t0) / 1000;
  log(`${mode}: features of ${train.length + dev.length} texts in ${featureSeconds.toFixed(1)} s`);
  for (const n of sizes) {
    const subset = train.slice(0, n);
    // L2 as scikit-learn's C = 0.01 for the mean probe (2 labels: λ = 2/(C·n)); none for the cls head.
    const l2 = pooling === 'mean' ? 2 / (0.01 * n) : 0;
    t.reset({ optimizer: { lr, l2 } });
    const run = t;
    const fit = await run.fit(subset);
    const ev = await run.evaluate(dev);
    rows.push({ mode, n, epochs, lr, l2, accuracy: ev.accuracy, macro_f1: ev.macro_f1, train_seconds: fit.seconds,
      epoch_seconds: fit.seconds / epochs, threads: model.runtime.threads });
    log(`${mode} n=${n}: dev accuracy ${ev.accuracy.toFixed(4)} (${fit.seconds.toFixed(2)} s for ${epochs} epochs)`);
  }
  rows.push({ mode: `${mode}-features`, n: train.length + dev.length, seconds: featureSeconds, per_1000: featureSeconds / (train.length + dev.length) * 1000,
    threads: model.runtime.threads });
  t.dispose();
}

for (const mode of ['lora', 'last-2-layers'].filter((m) => modeList.includes(m))) {
  if (!canEngine) {
    rows.push({ mode, error: 'not in this build: the engine has no training bindings yet (train-core, issue 19 item 1)' });
    continue;
  }
  for (const n of sizes.filter((s) => s <= 2000)) {
    const train2 = { layers: mode === 'lora' ? 0 : 2, lora: mode === 'lora' ? { r: 8, alpha: 16 } : null };
    // The Trainer's defaults for the mode (MODE_DEFAULTS: lr, warmup, batch, epochs; bench/train_tune.mjs chose them).
    const run = await Trainer.create(model, { labels, train: train2, seed: 42 });
    const fit = await run.fit(train.slice(0, n), { onProgress: (p) => { if (p.phase === 'train' && p.step === p.total_steps) log(`${mode} n=${n} loss ${p.loss}`); } });
    const ev = await run.evaluate(dev);
    rows.push({ mode, n, epochs: run.epochs, lr: run.optimizer.lr, batch_size: run.batchSize, accuracy: ev.accuracy, macro_f1: ev.macro_f1, train_seconds: fit.seconds,
      epoch_seconds: fit.seconds / run.epochs, threads: model.runtime.threads });
    log(`${mode} n=${n}: dev accuracy ${ev.accuracy.toFixed(4)}`);
    run.dispose();
  }
}

// CoNLL-03: head only on the first N training sentences, entity F1 on the test set.
const nConll = modeList.includes('conll') ? Number(values.conll) : 0;
const conllTrain = parseConllExamples(readFileSync(join(SHARED, 'data/conll2003/train.txt'), 'utf8')).slice(0, nConll);
const conllTest = parseConllExamples(readFileSync(join(SHARED, 'data/conll2003/test.txt'), 'utf8')).slice(0, values.quick ? 300 : undefined);
if (nConll > 0) {
  const t = await Trainer.create(model, { task: 'token-classification', labels: labelsOf([...conllTrain, ...conllTest]), epochs: 10, batch_size: 32,
    seed: 42, optimizer: { lr: 1e-2 }, truncation: true });
  const fit = await t.fit(conllTrain);
  const ev = await t.evaluate(conllTest);
  rows.push({ mode: 'conll-head', n: nConll, epochs: 10, f1: ev.f1, precision: ev.precision, recall: ev.recall, train_seconds: fit.seconds,
    feature_seconds: fit.feature_seconds, test_sentences: conllTest.length });
  log(`conll head-only n=${nConll}: test entity F1 ${ev.f1.toFixed(4)}`);
  t.dispose();
}
model.dispose();

// Time per epoch at each thread count: the feature pass (the one forward per text) dominates; an epoch
// over cached features is a small matrix product.
for (const threads of modeList.includes('timing') ? threadList : []) {
  const m = await BertologyModel.load(join(SHARED, 'models/bert-mini-mlm'), { threads });
  const subset = train.slice(0, values.quick ? 200 : 1000);
  const t = await Trainer.create(m, { labels, pooling: 'mean', epochs: 3, batch_size: 32, seed: 42, optimizer: { lr: 1e-2 } });
  const fit = await t.fit(subset);
  rows.push({ mode: 'timing-head-mean', n: subset.length, threads: m.runtime.threads, feature_seconds: fit.feature_seconds,
    epoch_seconds: (fit.seconds - fit.feature_seconds) / 3, examples_per_second: fit.examples_per_second });
  log(`threads ${m.runtime.threads}: features ${fit.feature_seconds.toFixed(1)} s for ${subset.length} texts, epoch ${((fit.seconds - fit.feature_seconds) / 3).toFixed(3)} s`);
  m.dispose();
}
await shutdown();

const meta = { date: started.toISOString(), node: process.version, cpus: `${os.cpus()[0]?.model ?? '?'} × ${os.cpus().length}`, shared_machine: true,
  load_average: os.loadavg().map((x) => Number(x.toFixed(1))) };
writeFileSync(values.json, `${JSON.stringify({ meta, rows }, null, 2)}\n`);

const L = [];
L.push('## Fine-tuning learning curves (issue 19): `node bench/train.mjs`');
L.push('');
L.push(`bert-mini-mlm, first N SST-2 train sentences, SST-2 dev accuracy (872); ${meta.date.slice(0, 16).replace('T', ' ')} UTC, Node ${meta.node}, ${meta.cpus} (shared machine, load average ${meta.load_average[0]} at the end: times are upper bounds). Raw: bench/train.json.`);
L.push('');
const modes = [...new Set(rows.filter((r) => r.n && (r.accuracy !== undefined)).map((r) => r.mode))];
L.push(`| mode | ${sizes.map((n) => `N = ${n.toLocaleString('en')}`).join(' | ')} |`);
L.push(`|---|${sizes.map(() => '---:').join('|')}|`);
for (const mode of modes) {
  L.push(`| ${mode} | ${sizes.map((n) => { const r = rows.find((x) => x.mode === mode && x.n === n); return r ? r.accuracy.toFixed(4) : '—'; }).join(' | ')} |`);
}
for (const r of rows.filter((x) => x.error)) L.push(`| ${r.mode} | ${sizes.map(() => 'n/a').join(' | ')} |`);
L.push('');
L.push('- head-mean: linear probe on mask-aware mean-pooled last hidden states, L2 = scikit-learn\'s C = 0.01 (λ = 2/(C·N)), AdamW lr 1e-2, 20 epochs, batch 32 (at N = 2,000 scikit-learn\'s LogisticRegression gives 0.7878 on the same features — `tests/js/train-sklearn.test.mjs`). Not savable as a transformers class.');
L.push('- head-cls: what `save()` writes — BertForSequenceClassification\'s classifier on the pooler output; bert-mini-mlm has no pooler, so it is freshly initialised (as transformers does) and frozen; AdamW lr 1e-3, 10 epochs.');
for (const r of rows.filter((x) => x.error)) L.push(`- ${r.mode}: ${r.error}.`);
const conll = rows.find((r) => r.mode === 'conll-head');
if (conll) L.push(`- CoNLL-03, head only (token classifier on each word's first sub-token), first ${conll.n} training sentences, 10 epochs: test entity F1 ${conll.f1.toFixed(4)} (precision ${conll.precision.toFixed(4)}, recall ${conll.recall.toFixed(4)}; ${conll.test_sentences} test sentences). The fully fine-tuned bert-mini-conll03 has 0.8115.`);
L.push('');
L.push('| Node, head only (mean) | threads | feature pass (s per 1,000 texts) | epoch over cached features (s per 1,000) | examples/s incl. features (3 epochs) |');
L.push('|---|---:|---:|---:|---:|');
for (const r of rows.filter((x) => x.mode === 'timing-head-mean')) {
  L.push(`| bert-mini-mlm | ${r.threads} | ${(r.feature_seconds / r.n * 1000).toFixed(2)} | ${(r.epoch_seconds / r.n * 1000).toFixed(3)} | ${Math.round(r.examples_per_second)} |`);
}
L.push('');
L.push('Chromium epoch times are not measured yet (the head-only path is the same JS; its feature pass is the forward pass measured in the Chromium table above).');
L.push('');
writeFileSync(values.md, L.join('\n'));
console.log(L.join('\n'));
