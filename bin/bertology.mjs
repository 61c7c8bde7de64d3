#!/usr/bin/env node
// bertology CLI: run a task pipeline on texts (JSON to stdout), or evaluate a model on a dataset.
// Results go to stdout (with --json the last line of an eval is one JSON object); progress to stderr.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BertologyModel, pipeline, shutdown } from '../js/index.js';
import { evaluateSst2, parseSst2 } from '../js/eval/sst2.js';
import { evaluateConll, parseConll } from '../js/eval/conll03.js';
import { evaluateSquad, squadQuestions } from '../js/eval/squad.js';
import { EXPLAIN_USAGE, runExplainCli } from '../js/explain/cli.js';

const USAGE = `usage:
  bertology classify  --model M [--top-k K] TEXT...
  bertology fill-mask --model M [--top-k K] TEXT...          (TEXT holds the mask token, e.g. [MASK])
  bertology ner       --model M [--aggregation none|simple|first|average|max] TEXT...
  bertology qa        --model M --question Q --context C [--top-k K] [--max-seq-len N] [--doc-stride N]
                      [--max-answer-len N] [--no-align-to-words]
  bertology embed     --model M [--pooling none|cls|mean] [--normalize] TEXT...
  bertology eval sst2    --model M --data dev.tsv  [--predictions out.jsonl] [--json] [--batch N]
  bertology eval conll03 --model M --data test.txt [--json] [--batch N]
  bertology eval squad   --model M --data dev-v1.1.json [--articles 40:] [--json] [--predictions FILE]
                         [--no-align-to-words] [--max-seq-len 256] [--doc-stride 64] [--max-answer-len 15]
common: --threads N (engine threads), --dtype fp32|q8 (q8: int8 weights). M is a directory, URL or Hugging Face id. Without TEXT
arguments, texts are read from stdin, one per line.
${EXPLAIN_USAGE}`;

class UsageError extends Error {}

/**
 * @param {string | undefined} value
 * @param {string} name
 * @param {number} [min]
 * @returns {number | undefined}
 */
function integer(value, name, min = 1) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${value}"`);
  return n;
}

/** @param {string[]} given */
async function textsFrom(given) {
  if (given.length > 0) return given;
  if (process.stdin.isTTY) throw new UsageError('no TEXT given (pass texts as arguments or on stdin)');
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  const lines = data.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw new UsageError('no TEXT given (stdin was empty)');
  return lines;
}

/** @param {unknown} value */
function printJson(value) {
  console.log(JSON.stringify(value, null, 2));
}

const OPTIONS = /** @type {const} */ ({
  model: { type: 'string' }, data: { type: 'string' }, predictions: { type: 'string' },
  json: { type: 'boolean', default: false }, threads: { type: 'string' }, dtype: { type: 'string' }, batch: { type: 'string' },
  'top-k': { type: 'string' }, aggregation: { type: 'string' }, question: { type: 'string' }, context: { type: 'string' },
  pooling: { type: 'string' }, normalize: { type: 'boolean', default: false }, articles: { type: 'string' },
  'max-seq-len': { type: 'string' }, 'doc-stride': { type: 'string' }, 'max-answer-len': { type: 'string' },
  'no-align-to-words': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
});

/** Which options each command accepts (besides model, threads, dtype, help). */
const ACCEPTS = /** @type {Record<string, string[]>} */ ({
  classify: ['top-k', 'batch'],
  'fill-mask': ['top-k', 'batch'],
  ner: ['aggregation', 'batch'],
  qa: ['question', 'context', 'top-k', 'max-seq-len', 'doc-stride', 'max-answer-len', 'no-align-to-words'],
  embed: ['pooling', 'normalize', 'batch'],
  'eval sst2': ['data', 'predictions', 'json', 'batch'],
  'eval conll03': ['data', 'json', 'batch'],
  'eval squad': ['data', 'predictions', 'json', 'batch', 'articles', 'max-seq-len', 'doc-stride', 'max-answer-len', 'no-align-to-words'],
});

/** @param {string[]} argv */
async function main(argv) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (values.help || positionals.length === 0) { console.log(USAGE); return; }
  const isEval = positionals[0] === 'eval';
  const command = isEval ? `eval ${positionals[1] ?? ''}` : positionals[0];
  const rest = positionals.slice(isEval ? 2 : 1);
  const accepts = ACCEPTS[command];
  if (!accepts) throw new UsageError(`unknown command "${positionals.slice(0, isEval ? 2 : 1).join(' ')}"`);
  if (isEval && rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  for (const [key, value] of Object.entries(values)) {
    const given = value !== undefined && value !== false && !(key === 'json' && !value);
    if (given && !['model', 'threads', 'dtype', 'help', ...accepts].includes(key)) throw new UsageError(`--${key} does not apply to ${command}`);
  }
  if (!values.model) throw new UsageError('--model is required');
  if (isEval && !values.data) throw new UsageError('--data is required');
  const threads = integer(values.threads, 'threads');
  const batch_size = integer(values.batch, 'batch') ?? 32;
  const top_k = integer(values['top-k'], 'top-k');
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);

  if (command === 'eval sst2' || command === 'eval conll03') {
    const model = await BertologyModel.load(values.model, { threads, dtype: values.dtype });
    const data = readFileSync(/** @type {string} */ (values.data), 'utf8');
    try {
      if (command === 'eval sst2') {
        const rows = parseSst2(data);
        const r = evaluateSst2(model, rows, { batch_size });
        if (values.predictions) writeFileSync(values.predictions, r.predictions.map((p) => JSON.stringify(p)).join('\n') + '\n');
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
    return;
  }

  const task = { classify: 'text-classification', 'fill-mask': 'fill-mask', ner: 'token-classification',
    qa: 'question-answering', embed: 'feature-extraction', 'eval squad': 'question-answering' }[command];
  const qaSettings = {
    max_seq_len: integer(values['max-seq-len'], 'max-seq-len'),
    doc_stride: integer(values['doc-stride'], 'doc-stride', 0),
    max_answer_len: integer(values['max-answer-len'], 'max-answer-len'),
    align_to_words: !values['no-align-to-words'],
  };
  if (command === 'qa' && (values.question === undefined || values.context === undefined)) {
    throw new UsageError('qa needs --question and --context');
  }
  if (command === 'qa' && rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const texts = command === 'qa' || command === 'eval squad' ? [] : await textsFrom(rest);
  const pipe = await pipeline(/** @type {string} */ (task), values.model, { threads, dtype: values.dtype });
  try {
    const one = texts.length === 1 ? texts[0] : texts;
    if (command === 'classify') {
      printJson(await pipe(one, { top_k: top_k ?? 1, batch_size }));
    } else if (command === 'fill-mask') {
      printJson(await pipe(one, { top_k: top_k ?? 5, batch_size }));
    } else if (command === 'ner') {
      printJson(await pipe(one, { aggregation_strategy: values.aggregation ?? 'none', batch_size }));
    } else if (command === 'embed') {
      const out = await pipe(one, { pooling: values.pooling ?? 'none', normalize: values.normalize, batch_size });
      printJson({ dims: out.dims, data: out.tolist() });
    } else if (command === 'qa') {
      const settings = Object.fromEntries(Object.entries(qaSettings).filter(([, v]) => v !== undefined));
      printJson(await pipe(values.question, values.context, { ...settings, top_k: top_k ?? 1 }));
    } else {
      const questions = squadQuestions(JSON.parse(readFileSync(/** @type {string} */ (values.data), 'utf8')), values.articles);
      const { align_to_words, ...rest2 } = qaSettings;
      const [r] = evaluateSquad(pipe, questions, {
        ...Object.fromEntries(Object.entries(rest2).filter(([, v]) => v !== undefined)),
        align_to_words: [align_to_words], batch_size,
        onProgress: (done, total) => console.error(`squad: ${done}/${total} questions, ${seconds()} s`),
      });
      if (values.predictions) writeFileSync(values.predictions, `${JSON.stringify(r.predictions)}\n`);
      console.error(`squad: ${r.total} questions in ${seconds()} s (align_to_words ${align_to_words})`);
      console.log(values.json
        ? JSON.stringify({ exact_match: r.exact_match, f1: r.f1, total: r.total })
        : `exact match ${r.exact_match.toFixed(2)}, F1 ${r.f1.toFixed(2)} (${r.total} questions)`);
    }
  } finally {
    await pipe.dispose();
  }
}

try {
  const argv = process.argv.slice(2);
  if (argv[0] === 'explain') process.exitCode = await runExplainCli(argv.slice(1));
  else await main(argv);
} catch (e) {
  const err = /** @type {Error} */ (e);
  console.error(`bertology: ${err.message}`);
  if (err instanceof UsageError || (err.name === 'TypeError' && /** @type {any} */ (err).code?.startsWith('ERR_PARSE_ARGS'))) {
    console.error(USAGE);
    process.exitCode = 2;
  } else {
    process.exitCode = 1;
  }
} finally {
  await shutdown();
}
