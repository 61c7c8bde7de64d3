// `bertology train`: fine-tunes a model on a TSV/CSV/CoNLL file, prints a progress bar on stderr and
// one final JSON line (the evaluation metrics, timings, where the model was saved) on stdout.

import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { BertologyModel } from '../index.js';
import { Trainer, labelsOf, parseExamples } from './index.js';

export const TRAIN_USAGE = `  bertology train --model M --data train.tsv [--eval dev.tsv] [--out DIR] [--format auto|sst2|tsv|csv|conll]
                  [--labels "A,B"] [--layers 0|N|all] [--lora R] [--pooling cls|mean] [--epochs E] [--batch B] [--lr LR]
                  [--weight-decay 0] [--warmup W] [--l2 0] [--max-length N] [--truncation] [--max-examples N]
                  [--seed 42] [--threads N]
                  (defaults per mode, as the Trainer's: head only lr 1e-3, batch 32, 3 epochs, no warmup;
                  --lora lr 5e-4, --layers lr 3e-4, both batch 16, 3 epochs, warmup 0.06)
                  (CoNLL data trains token classification, other formats text classification; SST-2's 0/1 labels
                  are named negative/positive unless --labels says otherwise; the last stdout line is JSON)`;

class TrainUsageError extends Error {}

/**
 * @param {string | undefined} v
 * @param {string} name
 * @param {{integer?: boolean, min?: number}} [o]
 */
function num(v, name, { integer = false, min = 0 } = {}) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min) {
    throw new TrainUsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${v}"`);
  }
  return n;
}

/**
 * Runs `bertology train ...`; returns the exit code.
 * @param {string[]} argv the arguments after "train"
 * @returns {Promise<number>}
 */
export async function runTrainCli(argv) {
  try {
    return await train(argv);
  } catch (e) {
    if (!(e instanceof TrainUsageError)) throw e;
    console.error(`bertology train: ${e.message}\nusage:\n${TRAIN_USAGE}`);
    return 2;
  }
}

/**
 * @param {string[]} argv
 * @returns {Promise<number>}
 */
async function train(argv) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, allowPositionals: false, options: {
      model: { type: 'string' }, data: { type: 'string' }, eval: { type: 'string' }, out: { type: 'string' },
      format: { type: 'string', default: 'auto' }, labels: { type: 'string' }, layers: { type: 'string', default: '0' }, lora: { type: 'string' },
      pooling: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' }, lr: { type: 'string' },
      'weight-decay': { type: 'string' }, warmup: { type: 'string' }, l2: { type: 'string' }, 'max-length': { type: 'string' },
      truncation: { type: 'boolean', default: false }, 'max-examples': { type: 'string' }, seed: { type: 'string' },
      threads: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
    } }));
    if (values.help) { console.log(`usage:\n${TRAIN_USAGE}`); return 0; }
    if (!values.model) throw new TrainUsageError('--model is required');
    if (!values.data) throw new TrainUsageError('--data is required');
  } catch (e) {
    throw new TrainUsageError(/** @type {Error} */ (e).message);
  }
  const started = performance.now();
  const format = /** @type {any} */ (values.format);
  const read = (/** @type {string} */ file) => parseExamples(readFileSync(file, 'utf8'), format, file);
  let train = read(/** @type {string} */ (values.data));
  const maxExamples = num(values['max-examples'], 'max-examples', { integer: true, min: 1 });
  if (maxExamples) train = train.slice(0, maxExamples);
  const evalSet = values.eval ? read(values.eval) : null;
  const token = train.length > 0 && 'tags' in train[0];
  const sst2 = format === 'sst2' || (!token && /sst/i.test(values.data ?? ''));
  const labels = values.labels ? values.labels.split(',').map((s) => s.trim()).filter(Boolean)
    : labelsOf([...train, ...(evalSet ?? [])], { names: sst2 ? ['negative', 'positive'] : undefined });
  const layers = values.layers === 'all' ? 'all' : num(values.layers, 'layers', { integer: true });
  const threads = num(values.threads, 'threads', { integer: true, min: 1 });
  const loraR = num(values.lora, 'lora', { integer: true, min: 1 });
  const optimizer = Object.fromEntries(Object.entries({
    lr: num(values.lr, 'lr'), weight_decay: num(values['weight-decay'], 'weight-decay'), warmup: num(values.warmup, 'warmup'), l2: num(values.l2, 'l2'),
  }).filter(([, v]) => v !== undefined));
  const settings = Object.fromEntries(Object.entries({
    epochs: num(values.epochs, 'epochs'), batch_size: num(values.batch, 'batch', { integer: true, min: 1 }),
    max_length: num(values['max-length'], 'max-length', { integer: true, min: 3 }), seed: num(values.seed, 'seed', { integer: true }),
  }).filter(([, v]) => v !== undefined));
  const model = await BertologyModel.load(/** @type {string} */ (values.model), threads ? { threads } : {});
  try {
    const trainer = await Trainer.create(model, {
      task: token ? 'token-classification' : 'text-classification', labels, train: { layers: /** @type {any} */ (layers), ...(loraR ? { lora: { r: loraR, alpha: 2 * loraR } } : {}) },
      ...(values.pooling ? { pooling: /** @type {any} */ (values.pooling) } : {}), optimizer,
      ...settings,
      truncation: values.truncation,
    });
    const tty = Boolean(process.stderr.isTTY);
    let lastEpoch = -1;
    const fit = await trainer.fit(train, {
      onProgress: (p) => {
        if (p.phase === 'features') {
          if (tty) process.stderr.write(`\rencoding ${p.done}/${p.total} examples`);
          else if (p.done === p.total) process.stderr.write(`encoded ${p.total} examples\n`);
          return;
        }
        const frac = /** @type {number} */ (p.step) / /** @type {number} */ (p.total_steps);
        const width = 30;
        const bar = `${'#'.repeat(Math.round(frac * width))}${'.'.repeat(width - Math.round(frac * width))}`;
        const line = `[${bar}] epoch ${(p.epoch ?? 0).toFixed(2)} step ${p.step}/${p.total_steps} loss ${(p.loss ?? NaN).toFixed(4)} `
          + `${Math.round(p.examples_per_second ?? 0)} ex/s`;
        const epoch = Math.floor(p.epoch ?? 0);
        if (tty) process.stderr.write(`\r${line}`);
        else if (epoch !== lastEpoch) { process.stderr.write(`${line}\n`); lastEpoch = epoch; }
      },
    });
    if (tty) process.stderr.write('\n');
    const metrics = evalSet ? await trainer.evaluate(evalSet) : null;
    if (metrics && 'per_label' in metrics) delete (/** @type {any} */ (metrics)).per_label;
    if (values.out) await trainer.save(values.out);
    console.log(JSON.stringify({
      task: trainer.task, labels, train_examples: train.length, epochs: fit.epochs, steps: fit.steps, loss: fit.loss,
      examples_per_second: fit.examples_per_second, train_seconds: fit.seconds, feature_seconds: fit.feature_seconds,
      eval: metrics, out: values.out ?? null, seconds: (performance.now() - started) / 1000,
    }));
    return 0;
  } finally {
    model.dispose();
  }
}
