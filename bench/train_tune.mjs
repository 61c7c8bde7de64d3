// Hyper-parameter selection for the engine-trained modes (issue 19): one run per invocation, scored on a
// held-out slice of the SST-2 TRAIN set (never on dev) after every epoch (or every --eval-steps steps),
// with the dev accuracy measured once at the end (or at each evaluation with --dev-each) for reporting.
// Appends one JSON line per evaluation to --out. Not a test.
//
//   node bench/train_tune.mjs --mode lora|layers --lr 1e-3 [--layers 2] [--epochs 5] [--batch 16]
//     [--warmup 0.06] [--r 8] [--alpha 16] [--n 2000] [--heldout 1000] [--max-length 128]
//     [--weight-decay 0] [--eval-steps 0] [--dev-each] [--threads 2] [--out bench/train_tune.jsonl]
//     [--checkpoint FILE] [--resume FILE] [--save DIR] [--model DIR (default: bert-mini-mlm)]
//     [--dropout config|off|hidden=0.1,attention=0.1,classifier=0.1] [--head-lr 1e-3] [--targets query,key,value,dense]
//
// --dropout: the training forward's dropout (train.dropout): `config` = config.json's rates (HF train
// mode), `off`, or the given rates (classifier defaults to hidden); default: the mode's default. Rows
// record the rates the trainer resolved. --head-lr: optimizer.head_lr.
// --targets: LoRA's target_modules (PEFT names; default query,value).
//
// --checkpoint writes trainer.checkpoint() at every evaluation (an epoch boundary by default), --resume
// continues such a run (same options), --save writes the final Hugging Face folder.
//
// Scores: SST-2 accuracy; with --task conll, CoNLL-03 entity F1 (held-out: its validation split; "dev":
// its test split), written in the same heldout_accuracy / dev_accuracy fields.
// Held-out slice: 1,000 sentences drawn (seeded) from SST-2 train indices ≥ 10,000 whose text is not in
// the first --n examples — disjoint from every training subset the learning curves use up to N = 10,000.

import { appendFileSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { BertologyModel, shutdown } from '../js/index.js';
import { Trainer, labelsOf, parseConllExamples, parseSst2Tsv } from '../js/train/index.js';
import { rng } from '../js/train/optim.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = resolve(process.env.BERTOLOGY_SHARED ?? join(ROOT, '..', 'shared'));
const { values: a } = parseArgs({ options: {
  mode: { type: 'string', default: 'lora' }, lr: { type: 'string', default: '1e-3' }, layers: { type: 'string', default: '2' },
  epochs: { type: 'string', default: '5' }, batch: { type: 'string', default: '16' }, warmup: { type: 'string', default: '0.06' },
  r: { type: 'string', default: '8' }, alpha: { type: 'string', default: '16' }, n: { type: 'string', default: '2000' },
  heldout: { type: 'string', default: '1000' }, 'max-length': { type: 'string', default: '128' }, 'weight-decay': { type: 'string', default: '0' },
  'eval-steps': { type: 'string', default: '0' }, 'dev-each': { type: 'boolean', default: false }, threads: { type: 'string', default: '2' },
  seed: { type: 'string', default: '42' }, embeddings: { type: 'boolean', default: false }, 'no-heldout': { type: 'boolean', default: false },
  out: { type: 'string', default: join(ROOT, 'bench', 'train_tune.jsonl') }, tag: { type: 'string', default: '' },
  dropout: { type: 'string' }, 'head-lr': { type: 'string' }, targets: { type: 'string' },
  task: { type: 'string', default: 'sst2' }, checkpoint: { type: 'string' }, model: { type: 'string' }, resume: { type: 'string' }, save: { type: 'string' },
} });
const num = (/** @type {string} */ k) => Number(/** @type {any} */ (a)[k]);
// --task conll: CoNLL-03, the first --n training sentences; held-out = CoNLL's validation split
// (--heldout sentences of it), "dev" = the test split (3,453 sentences), scored by entity F1.
const conll = a.task === 'conll';
const readConll = (/** @type {string} */ f) => parseConllExamples(readFileSync(join(SHARED, 'data/conll2003', f), 'utf8'));
/** @type {any[]} */
const trainAll = conll ? readConll('train.txt') : parseSst2Tsv(readFileSync(join(SHARED, 'data/sst2/train.tsv'), 'utf8'));
/** @type {any[]} */
const dev = conll ? readConll('test.txt') : parseSst2Tsv(readFileSync(join(SHARED, 'data/sst2/dev.tsv'), 'utf8'));
const labels = conll ? labelsOf([...trainAll, ...dev]) : ['negative', 'positive'];
const score = (/** @type {any} */ ev) => (conll ? ev.f1 : ev.accuracy);
const n = Math.min(num('n'), trainAll.length);
const train = trainAll.slice(0, n);
const seen = new Set(train.map((e) => e.text));
const pool = trainAll.slice(10000).filter((e) => !seen.has(e.text));
const r = rng(2026);
for (let i = pool.length - 1; i > 0; i--) { const j = Math.floor(r.next() * (i + 1)); [pool[i], pool[j]] = [pool[j], pool[i]]; }
const heldout = a['no-heldout'] ? [] : conll ? readConll('valid.txt').slice(0, num('heldout')) : pool.slice(0, num('heldout'));
const log = (/** @type {string} */ s) => console.error(`[tune ${new Date().toISOString().slice(11, 19)}] ${s}`);

const model = await BertologyModel.load(a.model ?? join(SHARED, 'models/bert-mini-mlm'), { threads: num('threads') });
const lora = a.mode === 'lora' ? { r: num('r'), alpha: num('alpha'), ...(a.targets ? { target_modules: a.targets.split(',') } : {}) } : null;
const dropoutOption = (/** @type {string | undefined} */ d) => {
  if (d === undefined) return undefined;
  if (d === 'config') return true;
  if (d === 'off') return false;
  return Object.fromEntries(d.split(',').map((kv) => { const [k, v] = kv.split('='); return [k, Number(v)]; }));
};
const dropout = dropoutOption(a.dropout);
const headLr = a['head-lr'] !== undefined ? num('head-lr') : undefined;
const layers = a.mode === 'lora' ? 0 : (a.layers === 'all' ? 'all' : Number(a.layers));
const config = { task: a.task, mode: a.mode, layers, lora, embeddings: a.embeddings, lr: num('lr'), epochs: num('epochs'), batch_size: num('batch'), warmup: num('warmup'),
  weight_decay: num('weight-decay'), max_length: num('max-length'), n, seed: num('seed'), threads: model.runtime.threads, tag: a.tag,
  ...(dropout !== undefined ? { dropout } : {}), ...(headLr !== undefined ? { head_lr: headLr } : {}) };
const trainer = await Trainer.create(model, { task: conll ? 'token-classification' : 'text-classification', labels, train: { layers, lora, embeddings: a.embeddings, ...(dropout !== undefined ? { dropout } : {}) }, epochs: config.epochs, batch_size: config.batch_size,
  seed: config.seed, max_length: config.max_length, truncation: true, optimizer: { lr: config.lr, warmup: config.warmup, weight_decay: config.weight_decay, ...(headLr !== undefined ? { head_lr: headLr } : {}) },
  ...(a.resume ? { resume: new Uint8Array(readFileSync(a.resume)) } : {}) });
if (config.dropout !== undefined) config.dropout = trainer.engineSpec?.dropout ?? null;  // the resolved rates
const startStep = trainer.step;
if (a.resume) log(`resumed ${a.resume} at step ${startStep}`);
const perEpoch = Math.ceil(n / config.batch_size);
const evalSteps = num('eval-steps') || perEpoch;
const total = Math.ceil(perEpoch * config.epochs);
log(`${JSON.stringify(config)}: ${total} steps, held-out ${heldout.length}`);
const t0 = performance.now();
let trainSeconds = 0;
let lastLoss = NaN;
let lastRate = NaN;
for (;;) {
  const ac = new AbortController();
  const tFit = performance.now();
  try {
    await trainer.fit(train, { signal: ac.signal, onProgress: (p) => {
      if (p.phase !== 'train') return;
      lastLoss = /** @type {number} */ (p.loss); lastRate = /** @type {number} */ (p.examples_per_second);
      if (/** @type {number} */ (p.step) % evalSteps === 0 && /** @type {number} */ (p.step) < total) ac.abort();
    } });
  } catch (e) {
    if (/** @type {any} */ (e).name !== 'AbortError') throw e;
  }
  trainSeconds += (performance.now() - tFit) / 1000;
  const step = trainer.step;
  const done = step >= total;
  const row = { ...config, step, epoch: step / perEpoch, loss: lastLoss, train_seconds: trainSeconds,
    examples_per_second: ((step - startStep) * config.batch_size) / trainSeconds, load: os.loadavg()[0] };
  if (heldout.length) row.heldout_accuracy = score(await trainer.evaluate(heldout));
  if (done || a['dev-each']) row.dev_accuracy = score(await trainer.evaluate(dev));
  appendFileSync(a.out, `${JSON.stringify(row)}\n`);
  if (a.checkpoint) { writeFileSync(`${a.checkpoint}.tmp`, trainer.checkpoint()); renameSync(`${a.checkpoint}.tmp`, a.checkpoint); }
  log(`step ${step}/${total} epoch ${row.epoch.toFixed(2)} loss ${lastLoss.toFixed(4)} held-out ${row.heldout_accuracy?.toFixed(4)} dev ${row.dev_accuracy?.toFixed(4) ?? '-'} `
    + `(${trainSeconds.toFixed(0)} s, ${row.examples_per_second.toFixed(1)} ex/s, fit rate ${lastRate.toFixed(1)}, load ${row.load.toFixed(1)})`);
  if (done) break;
}
if (a.save) await trainer.save(a.save);
log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
trainer.dispose();
model.dispose();
await shutdown();
