#!/usr/bin/env node
// bertology CLI: run a task pipeline on texts (JSON to stdout), or evaluate a model on a dataset.
// Results go to stdout (with --json the last line of an eval is one JSON object); progress to stderr.

import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BertologyModel, convertModel, CONVERT_DTYPES, pipeline, shutdown } from '../js/index.js';
import { evaluateSst2, parseSst2 } from '../js/eval/sst2.js';
import { evaluateConll, parseConll } from '../js/eval/conll03.js';
import { evaluateSquad, squadQuestions } from '../js/eval/squad.js';
import { EXPLAIN_USAGE, runExplainCli } from '../js/explain/cli.js';
import { TRAIN_USAGE, runTrainCli } from '../js/train/cli.js';

const USAGE = `usage:
  bertology classify  --model M [--top-k K] [--long-text truncate|chunk] [--stride N] TEXT...
  bertology fill-mask --model M [--top-k K] TEXT...          (TEXT holds the mask token, e.g. [MASK])
  bertology ner       --model M [--aggregation none|simple|first|average|max] [--stride N] TEXT...
  bertology qa        --model M --question Q --context C [--top-k K] [--max-seq-len N] [--doc-stride N] [--max-windows N]
                      [--max-answer-len N] [--max-question-len N] [--no-align-to-words]
  bertology embed     --model M [--st | --no-st] [--pooling none|cls|mean] [--normalize] [--prompt P | --prompt-name NAME]
                      [--truncate-dim D] [--precision float32|int8|uint8|binary|ubinary] [--long-text truncate|chunk] [--stride N] TEXT...
                      (a sentence-transformers model — modules.json — is embedded as its authors meant: --st
                      requires that, --no-st pools the encoder's output as --pooling says)
  bertology zero-shot --model M --labels "A,B,C" [--template "This example is {}."] [--multi-label] TEXT...
  bertology rank      --model M --query Q [--top-k K] [--return-documents] DOCUMENT...
  bertology eval sst2    --model M --data dev.tsv  [--predictions out.jsonl] [--json] [--batch N]
  bertology eval conll03 --model M --data test.txt [--json] [--batch N]
  bertology eval squad   --model M --data dev-v1.1.json [--articles 40:] [--json] [--predictions FILE]
                         [--no-align-to-words] [--max-seq-len 256] [--doc-stride 64] [--max-answer-len 15]
  bertology convert   --dtype q8|fp16|fp32 IN OUT [--overwrite] [--json]
                      (IN: a directory, URL or Hugging Face id; OUT: the new folder. q8 stores int8 weights as the
                      engine holds them: loading OUT equals loading IN with --dtype q8, bit for bit)
common: --threads N (engine threads), --dtype fp32|q8 (q8: int8 weights). M is a directory, URL or Hugging Face id. Without TEXT
arguments, texts (rank: documents) are read from stdin, one per line. --metadata adds each result's {tokens, max_length,
truncated, chunks} (a list then prints as {result, metadata}).
${EXPLAIN_USAGE}
${TRAIN_USAGE}`;

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
  process.stdin.setEncoding('utf8');  // decodes across chunk boundaries; invalid bytes become U+FFFD
  for await (const chunk of process.stdin) data += chunk;
  const lines = data.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length === 0) throw new UsageError('no TEXT given (stdin was empty)');
  return lines;
}

/** The options that are set. @param {Record<string, any>} o */
const defined = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * Prints a result as JSON; a list that carries enumerable metadata (--metadata) prints as
 * {result: [...], metadata} (JSON drops properties of arrays).
 * @param {unknown} value
 */
function printJson(value) {
  console.log(JSON.stringify(value, (_, v) => (Array.isArray(v) && Object.keys(v).includes('metadata')
    ? { result: [...v], metadata: /** @type {any} */ (v).metadata } : v), 2));
}

const OPTIONS = /** @type {const} */ ({
  model: { type: 'string' }, data: { type: 'string' }, predictions: { type: 'string' },
  json: { type: 'boolean', default: false }, threads: { type: 'string' }, dtype: { type: 'string' }, batch: { type: 'string' },
  'top-k': { type: 'string' }, aggregation: { type: 'string' }, question: { type: 'string' }, context: { type: 'string' },
  pooling: { type: 'string' }, normalize: { type: 'boolean', default: false }, articles: { type: 'string' },
  'max-seq-len': { type: 'string' }, 'doc-stride': { type: 'string' }, 'max-answer-len': { type: 'string' },
  'no-align-to-words': { type: 'boolean', default: false },
  labels: { type: 'string' }, template: { type: 'string' }, 'multi-label': { type: 'boolean', default: false },
  query: { type: 'string' }, 'return-documents': { type: 'boolean', default: false },
  st: { type: 'boolean', default: false }, 'no-st': { type: 'boolean', default: false }, prompt: { type: 'string' }, 'prompt-name': { type: 'string' }, 'truncate-dim': { type: 'string' },
  precision: { type: 'string' }, 'long-text': { type: 'string' }, stride: { type: 'string' }, 'max-question-len': { type: 'string' }, 'max-windows': { type: 'string' },
  metadata: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
});

/** Which options each command accepts (besides model, threads, dtype, help). */
const ACCEPTS = /** @type {Record<string, string[]>} */ ({
  classify: ['top-k', 'batch', 'long-text', 'stride', 'metadata'],
  'fill-mask': ['top-k', 'batch'],
  ner: ['aggregation', 'batch', 'stride', 'metadata'],
  qa: ['question', 'context', 'top-k', 'max-seq-len', 'doc-stride', 'max-answer-len', 'no-align-to-words', 'max-question-len', 'max-windows', 'metadata'],
  embed: ['pooling', 'normalize', 'batch', 'st', 'no-st', 'prompt', 'prompt-name', 'truncate-dim', 'precision', 'long-text', 'stride', 'metadata'],
  'zero-shot': ['labels', 'template', 'multi-label', 'batch', 'metadata'],
  rank: ['query', 'top-k', 'return-documents', 'batch', 'metadata'],
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
    qa: 'question-answering', embed: 'feature-extraction', 'eval squad': 'question-answering',
    'zero-shot': 'zero-shot-classification', rank: 'text-ranking' }[command];
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
  if (command === 'zero-shot' && !values.labels) throw new UsageError('zero-shot needs --labels (comma-separated)');
  if (command === 'rank' && values.query === undefined) throw new UsageError('rank needs --query');
  const texts = command === 'qa' || command === 'eval squad' ? [] : await textsFrom(rest);
  const stride = integer(values.stride, 'stride', 0);
  const return_metadata = values.metadata || undefined;
  const longText = values['long-text'] ? { long_text: values['long-text'], ...(stride !== undefined ? { stride } : {}) } : {};
  if (stride !== undefined && !values['long-text'] && command !== 'ner') throw new UsageError('--stride needs --long-text chunk');
  if (values.st && values['no-st']) throw new UsageError('--st and --no-st exclude each other');
  const st = values.st ? true : values['no-st'] ? false : undefined;
  const loadOptions = st === false ? { sentence_transformers: false } : {};
  // The texts given are the job: one call takes them all (limits.max_texts guards interactive use);
  // --max-windows bounds a qa call's windows (limits.max_windows).
  const maxWindows = integer(values['max-windows'], 'max-windows');
  const limits = { max_texts: Math.max(1024, texts.length), ...(maxWindows ? { max_windows: maxWindows } : {}) };
  const pipe = await pipeline(/** @type {string} */ (task), values.model, { threads, dtype: values.dtype, limits, ...loadOptions });
  try {
    const one = texts.length === 1 ? texts[0] : texts;
    if (command === 'classify') {
      printJson(await pipe(one, { top_k: top_k ?? 1, batch_size, ...longText, return_metadata }));
    } else if (command === 'fill-mask') {
      printJson(await pipe(one, { top_k: top_k ?? 5, batch_size }));
    } else if (command === 'ner') {
      printJson(await pipe(one, { aggregation_strategy: values.aggregation ?? (stride !== undefined ? 'simple' : 'none'), batch_size,
        ...(stride !== undefined ? { stride } : {}), return_metadata }));
    } else if (command === 'embed') {
      const out = await pipe(one, defined({
        pooling: values.pooling, normalize: values.normalize, batch_size, sentence_transformers: st,
        prompt: values.prompt, prompt_name: values['prompt-name'], truncate_dim: integer(values['truncate-dim'], 'truncate-dim'),
        precision: values.precision, ...longText,
      }));
      printJson({ dims: out.dims, type: out.type, data: out.tolist(), ...(values.metadata ? { metadata: out.metadata } : {}) });
    } else if (command === 'zero-shot') {
      // texts × labels are the job too (limits.max_pairs guards interactive calls)
      printJson(await pipe(one, values.labels, defined({ hypothesis_template: values.template, multi_label: values['multi-label'], batch_size, return_metadata,
        max_pairs: Number.MAX_SAFE_INTEGER })));
    } else if (command === 'rank') {
      printJson(await pipe(values.query, texts, { top_k: top_k ?? null, return_documents: values['return-documents'], batch_size, return_metadata }));
    } else if (command === 'qa') {
      const settings = Object.fromEntries(Object.entries(qaSettings).filter(([, v]) => v !== undefined));
      printJson(await pipe(values.question, values.context, { ...settings, top_k: top_k ?? 1, return_metadata,
        ...(values['max-question-len'] ? { max_question_len: integer(values['max-question-len'], 'max-question-len') } : {}) }));
    } else {
      const questions = squadQuestions(JSON.parse(readFileSync(/** @type {string} */ (values.data), 'utf8')), values.articles);
      const { align_to_words, ...rest2 } = qaSettings;
      const [r] = await evaluateSquad(pipe, questions, {
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

/** @param {number} bytes */
const megabytes = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * bertology convert --dtype q8|fp16|fp32 IN OUT [--overwrite] [--json] [--threads N]
 * @param {string[]} argv
 */
async function convert(argv) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: {
    dtype: { type: 'string' }, overwrite: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
    threads: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) { console.log(USAGE); return; }
  if (positionals.length !== 2) throw new UsageError(`convert needs IN and OUT (got ${positionals.length} arguments)`);
  if (!CONVERT_DTYPES.includes(/** @type {any} */ (values.dtype))) {
    throw new UsageError(`convert needs --dtype ${CONVERT_DTYPES.join('|')}${values.dtype ? ` (got "${values.dtype}")` : ''}`);
  }
  const [input, outDir] = positionals;
  const r = await convertModel(input, { dtype: /** @type {'q8'|'fp16'|'fp32'} */ (values.dtype), outDir,
    overwrite: values.overwrite, threads: integer(values.threads, 'threads') ?? 1 });
  const { files, ...report } = r;
  if (values.json) {
    console.log(JSON.stringify(report));
    return;
  }
  const t = r.tensors;
  console.log(`${outDir}: model.safetensors ${megabytes(r.output_bytes)} = ${r.ratio.toFixed(3)} x fp32 ` +
    `(${megabytes(r.fp32_bytes)}; input ${megabytes(r.input_bytes)}); tensors: ${t.int8} int8, ${t.float16} float16, ` +
    `${t.bfloat16 ? `${t.bfloat16} bfloat16, ` : ''}${t.float32} float32, ${t.other} other; copied config.json${r.copied.map((f) => `, ${f}`).join('')}`);
}

try {
  const argv = process.argv.slice(2);
  if (argv[0] === 'explain') process.exitCode = await runExplainCli(argv.slice(1));
  else if (argv[0] === 'convert') await convert(argv.slice(1));
  else if (argv[0] === 'train') process.exitCode = await runTrainCli(argv.slice(1));
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
