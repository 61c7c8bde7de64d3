#!/usr/bin/env node
// bertology CLI.
//   bertology eval sst2    --model DIR --data dev.tsv  [--predictions out.jsonl] [--json] [--threads N] [--batch N]
//   bertology eval conll03 --model DIR --data test.txt [--json] [--threads N] [--batch N]
// Results go to stdout (with --json the last line is one JSON object); progress goes to stderr.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BertologyModel, shutdown } from '../js/index.js';
import { evaluateSst2, parseSst2 } from '../js/eval/sst2.js';
import { evaluateConll, parseConll } from '../js/eval/conll03.js';

const USAGE = `usage:
  bertology eval sst2    --model DIR --data dev.tsv  [--predictions out.jsonl] [--json] [--threads N] [--batch N]
  bertology eval conll03 --model DIR --data test.txt [--json] [--threads N] [--batch N]`;

class UsageError extends Error {}

/**
 * @param {string | undefined} value
 * @param {string} name
 * @returns {number | undefined}
 */
function positiveInt(value, name) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** @param {string[]} argv */
async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' }, data: { type: 'string' }, predictions: { type: 'string' },
      json: { type: 'boolean', default: false }, threads: { type: 'string' }, batch: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) { console.log(USAGE); return; }
  const [command, task] = positionals;
  if (command !== 'eval' || !['sst2', 'conll03'].includes(task) || positionals.length !== 2) {
    throw new UsageError(`unknown command "${positionals.join(' ')}"`);
  }
  if (!values.model || !values.data) throw new UsageError('--model and --data are required');
  if (values.predictions && task !== 'sst2') throw new UsageError('--predictions is only supported by eval sst2');
  const threads = positiveInt(values.threads, 'threads');
  const batch_size = positiveInt(values.batch, 'batch') ?? 32;

  const started = performance.now();
  const model = await BertologyModel.load(values.model, { threads });
  const data = readFileSync(values.data, 'utf8');
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  try {
    if (task === 'sst2') {
      const rows = parseSst2(data);
      const r = evaluateSst2(model, rows, { batch_size });
      if (values.predictions) {
        writeFileSync(values.predictions, r.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
      }
      console.error(`sst2: ${rows.length} sentences in ${seconds()} s`);
      console.log(values.json
        ? JSON.stringify({ accuracy: r.accuracy, correct: r.correct, total: r.total })
        : `accuracy ${r.accuracy.toFixed(5)} (${r.correct}/${r.total})`);
    } else {
      const sentences = parseConll(data);
      const r = evaluateConll(model, sentences, { batch_size });
      console.error(`conll03: ${sentences.length} sentences in ${seconds()} s`);
      console.log(values.json
        ? JSON.stringify({ f1: r.f1, precision: r.precision, recall: r.recall })
        : `entity F1 ${r.f1.toFixed(4)} (precision ${r.precision.toFixed(4)}, recall ${r.recall.toFixed(4)})`);
    }
  } finally {
    model.dispose();
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  const err = /** @type {Error} */ (e);
  console.error(`bertology: ${err.message}`);
  if (err instanceof UsageError || err.name === 'TypeError' && /** @type {any} */ (err).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(USAGE);
    process.exitCode = 2;
  } else {
    process.exitCode = 1;
  }
} finally {
  await shutdown();
}
