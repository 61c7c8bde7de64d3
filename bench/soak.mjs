#!/usr/bin/env node
// Soak benchmark (a benchmark, not a timed test): does memory stay flat under a long mixed workload,
// and does load → dispose give every byte back?
//
//   (a) 10,000 mixed calls through the package API (pipeline(), explain()) on the four BERT-mini
//       models: sentiment (bert-mini-sst2), NER (bert-mini-conll03), QA (bert-mini-squad),
//       fill-mask (bert-mini-mlm), feature extraction (bert-mini-sst2), and ~1 % explanations on the
//       sentiment pipeline (every method of EXPLAIN_METHODS, cheap settings). Texts from 5 tokens to near the
//       512-token limit, batches of 1..8 (long texts in smaller batches), varied task options.
//       The wasm allocator's in-use bytes (mallinfo, `heapStats()` of the engine bindings), the
//       wasm memory size, Node's RSS and its JS heap + ArrayBuffers are sampled (after a full GC)
//       every --sample-every calls; after the warm-up (first --warmup calls) and after the last
//       call they must agree: in-use within 1 MB, the wasm memory not grown, RSS within 1 %.
//       RSS is measured with glibc told to mmap allocations of 64 KiB and more
//       (MALLOC_MMAP_THRESHOLD_=65536, set by re-running this script in a child process unless the
//       variable is already set or --no-malloc-tuning is given): by default glibc keeps freed
//       large ArrayBuffer backing stores (fill-mask logits are up to 62 MB per call) resident,
//       which adds ~90 MB of RSS over a run while everything live stays flat.
//       The warm-up starts with one call per task and length class at the largest shape that
//       class uses (and one explanation per method at the longest explained text), so the
//       engine's grow-only scratch buffers reach their high-water mark there, not later. Fixed
//       probe calls after the warm-up and at the end must give identical results (sentiment also
//       within 1e-4 of Hugging Face's pipeline scores).
//       After the soak every model is disposed: in-use must be back within 1 MB of the fresh
//       runtime's (before the first load).
//   (b) pipeline() → one call → dispose(), --cycles times, on bert-mini-sst2: in-use bytes must
//       return to the baseline (within 1 MB) after every cycle.
//
//   node bench/soak.mjs [--calls 10000] [--warmup 500] [--cycles 100] [--sample-every 100]
//                       [--threads 1] [--seed 7] [--json bench/soak.json] [--md bench/soak.md]
//                       [--no-malloc-tuning] [--strict]   (exit code 1 when a check fails)
//
// Writes the figures to --json (bench/soak.json) and a markdown snippet to --md; prints the table.
// Engine threads default to 1 (single-threaded build): the shared wasm heap of that runtime holds
// every model of the run, so one heapStats() covers them all.

import fs from 'node:fs';
import os from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync, spawnSync } from 'node:child_process';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BertologyModel, getRuntime, pipeline } from '../js/index.js';
import { EXPLAIN_METHODS } from '../js/explain/index.js';
import { rng } from './lib/common.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');

const { values: o } = parseArgs({
  options: {
    calls: { type: 'string', default: '10000' }, warmup: { type: 'string', default: '500' },
    cycles: { type: 'string', default: '100' }, 'sample-every': { type: 'string', default: '100' },
    threads: { type: 'string', default: '1' }, seed: { type: 'string', default: '7' },
    json: { type: 'string', default: path.join(ROOT, 'bench', 'soak.json') },
    md: { type: 'string', default: path.join(ROOT, 'bench', 'soak.md') }, strict: { type: 'boolean', default: false },
    'no-malloc-tuning': { type: 'boolean', default: false },
  },
});

// glibc keeps freed blocks below its (adaptive, up to 32 MB) mmap threshold for reuse, so Node's
// RSS follows the largest transient JS buffers seen so far rather than live memory. A fixed 64 KiB
// threshold returns large blocks to the OS on free. The variable must be set before the process
// starts: run this script again as a child with it.
if (process.platform === 'linux' && !o['no-malloc-tuning'] && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' } });
  process.exit(child.status ?? 1);
}
const CALLS = Number(o.calls), WARMUP = Number(o.warmup), CYCLES = Number(o.cycles);
const EVERY = Number(o['sample-every']), THREADS = Number(o.threads), SEED = Number(o.seed);
const MB = 1e6;
const IN_USE_LIMIT = 1 * MB;   // (a) and (b): allocator in-use bytes
const RSS_LIMIT = 0.01;        // (a): relative RSS change

for (const d of ['bert-mini-sst2', 'bert-mini-conll03', 'bert-mini-squad', 'bert-mini-mlm']) {
  if (!fs.existsSync(path.join(SHARED, 'models', d, 'config.json'))) {
    console.error(`soak: shared model ${d} not found under ${SHARED}/models (set BERTOLOGY_SHARED); nothing measured`);
    process.exit(0);
  }
}

// A full GC before each sample, so RSS and the JS heap are compared without floating garbage.
v8.setFlagsFromString('--expose-gc');
const gc = /** @type {() => void} */ (runInNewContext('gc'));

const model = (/** @type {string} */ name) => path.join(SHARED, 'models', name);
const runtime = await getRuntime({ threads: THREADS });
const engine = runtime.module;

/** @returns {{heap_bytes: number, in_use_bytes: number}} */
function heapStats() {
  return JSON.parse(engine.heapStats());
}
/** @type {any[]} */
let liveModels = [];
/** @param {number} call @param {string} phase */
function sample(call, phase) {
  gc();
  gc();
  const h = heapStats();
  const m = process.memoryUsage();
  let workspace = 0;
  for (const lm of liveModels) workspace += lm.memoryUsage().workspace;
  return {
    phase, call, seconds: +((performance.now() - t0) / 1000).toFixed(1), wasm_in_use: h.in_use_bytes,
    wasm_heap: h.heap_bytes, rss: m.rss, rss_parts: rssParts(h.heap_bytes), js_heap_used: m.heapUsed,
    external: m.external, workspace,
  };
}
const baselineRuntime = sample(0, 'runtime created, no model loaded');

// ---------------------------------------------------------------------------------------------
// Texts: pools per source and length class, built before anything is measured.

const random = rng(SEED);
const pick = (/** @type {any[]} */ xs) => xs[Math.floor(random() * xs.length)];
const int = (/** @type {number} */ lo, /** @type {number} */ hi) => lo + Math.floor(random() * (hi - lo + 1));

/** Token length classes (special tokens included), how often they are drawn, their batch limits. */
const CLASSES = [
  { name: 'short', lo: 5, hi: 32, weight: 0.68, maxBatch: 8 },
  { name: 'medium', lo: 33, hi: 128, weight: 0.23, maxBatch: 4 },
  { name: 'long', lo: 129, hi: 320, weight: 0.07, maxBatch: 2 },
  { name: 'near-max', lo: 400, hi: 510, weight: 0.02, maxBatch: 1 },
];
const TASKS = [
  { name: 'sentiment', weight: 0.28 }, { name: 'ner', weight: 0.20 }, { name: 'qa', weight: 0.15 },
  { name: 'fill-mask', weight: 0.11 }, { name: 'features', weight: 0.24 }, { name: 'explain', weight: 0.02 },
];
/** Every explanation method the package has, with cheap settings where a method has a cost knob. */
const EXPLAIN_OPTIONS = /** @type {Record<string, object>} */ ({ integrated_gradients: { steps: 8 }, lime: { samples: 32 } });
const EXPLAIN = { lo: 5, hi: 40, methods: EXPLAIN_METHODS.map((m) => [m, EXPLAIN_OPTIONS[m] ?? {}]) };
const POOL = 48;

const read = (/** @type {string} */ rel) => fs.readFileSync(path.join(SHARED, 'data', rel), 'utf8');
const reviewWords = read('imdb/test-slice2000.jsonl').trim().split('\n').slice(0, 400)
  .map((l) => JSON.parse(l).text.replace(/<br\s*\/?>/g, ' ')).join(' ').split(/\s+/).filter(Boolean);
const conllWords = read('conll2003/test.txt').split('\n').filter((l) => l && !l.startsWith('-DOCSTART-'))
  .map((l) => l.split(' ')[0]);
const wikiWords = read('wikitext2/wiki.test.txt').split('\n').filter((l) => l.trim() && !l.trim().startsWith('='))
  .join(' ').split(/\s+/).filter(Boolean);
const sst2 = read('sst2/dev.tsv').trim().split('\n').slice(1).map((l) => l.split('\t')[0]);
const squad = JSON.parse(read('squad/dev-v1.1.json')).data.slice(0, 20);
const squadQuestions = squad.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => q.question)));
const squadWords = squad.flatMap((a) => a.paragraphs.map((p) => p.context)).join(' ').split(/\s+/).filter(Boolean);

const measurer = await BertologyModel.load(model('bert-mini-sst2'), { threads: THREADS });
const tokens = (/** @type {string} */ a, /** @type {string | null} */ b = null) => measurer.tokenize(a, b).ids.length;

/**
 * A run of consecutive words whose tokenization (with `extra` tokens besides) has between lo and hi
 * tokens.
 * @param {string[]} words @param {number} lo @param {number} hi @param {(s: string) => number} count
 */
function textWindow(words, lo, hi, count) {
  const target = int(lo, hi);
  const start = int(0, words.length - 2000);
  let n = Math.max(1, Math.round(target / 1.4));
  for (let k = 0; k < 40; k++) {
    const t = count(words.slice(start, start + n).join(' '));
    if (t >= lo && t <= hi) return words.slice(start, start + n).join(' ');
    n = Math.max(1, n + (t < lo ? Math.max(1, Math.round((lo - t) / 1.6)) : -Math.max(1, Math.round((t - hi) / 1.6))));
  }
  throw new Error(`no text of ${lo}..${hi} tokens found`);
}

/** @param {string} text one or two words replaced by [MASK] (never the first) */
function masked(text) {
  const w = text.split(' ');
  const k = w.length > 6 && random() < 0.2 ? 2 : 1;
  for (let i = 0; i < k; i++) w[int(Math.min(1, w.length - 1), w.length - 1)] = '[MASK]';
  return w.join(' ');
}

/** @type {Record<string, Record<string, any[]>>} task → class → inputs */
const pools = {};
for (const task of ['sentiment', 'ner', 'qa', 'fill-mask', 'features']) {
  pools[task] = {};
  for (const c of CLASSES) {
    const items = [];
    for (let i = 0; i < POOL; i++) {
      if (task === 'sentiment' || task === 'features') {
        items.push(c.name === 'short' && i % 2 ? sst2Short(c) : textWindow(reviewWords, c.lo, c.hi, tokens));
      } else if (task === 'ner') {
        items.push(textWindow(conllWords, c.lo, c.hi, tokens));
      } else if (task === 'fill-mask') {
        items.push(masked(textWindow(wikiWords, c.lo, c.hi, tokens)));
      } else {
        let question = pick(squadQuestions);
        while (tokens(question) + 8 > Math.min(c.hi, 24 + c.lo)) question = pick(squadQuestions);
        items.push({ question, context: textWindow(squadWords, Math.max(8, c.lo), c.hi, (s) => tokens(question, s)) });
      }
    }
    pools[task][c.name] = items;
  }
}
/** @param {{lo: number, hi: number}} c an SST-2 dev sentence of that length, else a review window */
function sst2Short(c) {
  for (let k = 0; k < 50; k++) {
    const s = pick(sst2);
    const t = tokens(s);
    if (t >= c.lo && t <= c.hi) return s;
  }
  return textWindow(reviewWords, c.lo, c.hi, tokens);
}
const explainTexts = Array.from({ length: POOL }, (_, i) => (i % 2 ? sst2Short(EXPLAIN) : textWindow(reviewWords, EXPLAIN.lo, EXPLAIN.hi, tokens)));
const sizeOf = (/** @type {any} */ x) => (typeof x === 'string' ? tokens(x) : tokens(x.question, x.context));

// ---------------------------------------------------------------------------------------------
// The schedule: the warm-up's envelope calls first, then seeded random draws.

/** @param {{weight: number}[]} xs */
function weighted(xs) {
  let r = random();
  for (const x of xs) if ((r -= x.weight) < 0) return x;
  return xs[xs.length - 1];
}

/** Options a call of `task` may carry (varied, all valid). */
function optionsFor(/** @type {string} */ task) {
  switch (task) {
    case 'sentiment': return pick([{}, { top_k: null }, { top_k: 2 }, { function_to_apply: 'sigmoid' }]);
    case 'ner': return { aggregation_strategy: pick(['none', 'simple', 'first', 'average', 'max']) };
    case 'qa': return pick([{}, {}, { top_k: 3 }, { max_seq_len: 256, doc_stride: 64 }, { handle_impossible_answer: true }]);
    case 'fill-mask': return pick([{}, { top_k: 3 }, { top_k: 10 }]);
    default: return pick([{ pooling: 'mean', normalize: true }, { pooling: 'cls' }, { pooling: 'none' }, { pooling: 'mean' }]);
  }
}

/** @typedef {{task: string, cls: string, inputs: any[], options: any, method?: string, envelope?: boolean}} Call */
/** @type {Call[]} */
const schedule = [];
for (const task of ['sentiment', 'ner', 'qa', 'fill-mask', 'features']) {
  for (const c of CLASSES) {
    const longest = pools[task][c.name].reduce((a, b) => (sizeOf(b) > sizeOf(a) ? b : a));
    // QA: the default max_seq_len (384) gives the widest windows of the options used
    const options = task === 'qa' ? {} : task === 'features' ? { pooling: 'none' } : task === 'sentiment' ? { top_k: null } : optionsFor(task);
    schedule.push({ task, cls: c.name, inputs: Array(c.maxBatch).fill(longest), options, envelope: true });
  }
}
const longestExplained = explainTexts.reduce((a, b) => (tokens(b) > tokens(a) ? b : a));
for (const [method, options] of EXPLAIN.methods) {
  schedule.push({ task: 'explain', cls: 'explain', method: /** @type {string} */ (method), inputs: [longestExplained], options, envelope: true });
}
while (schedule.length < CALLS) {
  const task = weighted(TASKS).name;
  if (task === 'explain') {
    const [method, options] = pick(EXPLAIN.methods);
    schedule.push({ task, cls: 'explain', method, inputs: [pick(explainTexts)], options: method === 'lime' ? { ...options, seed: int(0, 99) } : options });
    continue;
  }
  const c = /** @type {typeof CLASSES[number]} */ (weighted(CLASSES));
  const batch = random() < 0.4 ? 1 : int(1, c.maxBatch);
  const inputs = Array.from({ length: batch }, () => pick(pools[task][c.name]));
  schedule.push({ task, cls: c.name, inputs, options: optionsFor(task) });
}
schedule.length = CALLS;
measurer.dispose();

// ---------------------------------------------------------------------------------------------
// (a) the soak

const load = { threads: THREADS };
const sst2Model = await BertologyModel.load(model('bert-mini-sst2'), load);
const pipes = {
  sentiment: await pipeline('sentiment-analysis', sst2Model),
  features: await pipeline('feature-extraction', sst2Model),
  ner: await pipeline('ner', model('bert-mini-conll03'), load),
  qa: await pipeline('question-answering', model('bert-mini-squad'), load),
  'fill-mask': await pipeline('fill-mask', model('bert-mini-mlm'), load),
};
liveModels = [sst2Model, pipes.ner.model, pipes.qa.model, pipes['fill-mask'].model];
const afterLoad = sample(0, 'models loaded');

/** @param {Call} c */
async function run(c) {
  if (c.task === 'explain') return pipes.sentiment.explain(c.inputs[0], { method: c.method, ...c.options });
  const p = /** @type {any} */ (pipes)[c.task];
  const single = c.inputs.length === 1 && random() < 0.5;
  if (c.task === 'qa' && single && random() < 0.5) return p(c.inputs[0].question, c.inputs[0].context, c.options);
  return p(single ? c.inputs[0] : c.inputs, c.options);
}

// Probes: the same calls after the warm-up and at the end must agree exactly.
const sst2Ref = JSON.parse(read('../reference/bert-mini-sst2.sst2-dev.json'));
async function probes() {
  const out = {
    sentiment: await pipes.sentiment(sst2Ref.texts.slice(0, 8), { top_k: null }),
    ner: await pipes.ner('George Washington went to Washington to meet the president of the United Nations.', { aggregation_strategy: 'simple' }),
    qa: await pipes.qa('When was the Eiffel Tower completed?', 'The Eiffel Tower was completed in 1889 by the engineer Gustave Eiffel.'),
    fill: await pipes['fill-mask']('The cat sat on the [MASK].', { top_k: 5 }),
    features: Array.from((await pipes.features('a probe sentence', { pooling: 'mean', normalize: true })).data),
    explain: (await pipes.sentiment.explain('a gorgeous, witty, seductive movie.', { method: 'integrated_gradients', steps: 8 })).words,
  };
  let maxDiff = 0;
  out.sentiment.forEach((/** @type {any[]} */ scores, /** @type {number} */ i) => scores.forEach((s, k) => {
    const r = sst2Ref.outputs[i][k];
    maxDiff = Math.max(maxDiff, s.label === r.label ? Math.abs(s.score - r.score) : Infinity);
  }));
  return { out, maxDiffVsHF: maxDiff };
}

/** @type {ReturnType<typeof sample>[]} */
const timeline = [afterLoad];
/** @type {Record<string, {calls: number, inputs: number, ms: number}>} */
const perTask = {};
/** @type {Record<string, {calls: number, inputs: number, ms: number}>} */
const perClass = {};
/** @type {Record<number, number>} */
const perBatch = {};
/** @type {any} */
let probeWarm = null;
const soakStart = performance.now();
for (let i = 0; i < schedule.length; i++) {
  const c = schedule[i];
  const started = performance.now();
  await run(c).then(() => undefined);  // not kept in this frame: a sample's GC can free the result
  const ms = performance.now() - started;
  for (const [table, key] of /** @type {const} */ ([[perTask, c.task === 'explain' ? `explain ${c.method}` : c.task], [perClass, c.cls]])) {
    const t = (table[key] ??= { calls: 0, inputs: 0, ms: 0 });
    t.calls++;
    t.inputs += c.inputs.length;
    t.ms += ms;
  }
  if (c.task !== 'explain') perBatch[c.inputs.length] = (perBatch[c.inputs.length] ?? 0) + 1;
  const done = i + 1;
  if (done % EVERY === 0 || done === WARMUP || done === schedule.length) {
    timeline.push(sample(done, done < WARMUP ? 'warm-up' : done === WARMUP ? 'after warm-up' : 'soak'));
    if (done === WARMUP) probeWarm = await probes();
  }
  if (done % 1000 === 0) {
    const s = /** @type {ReturnType<typeof sample>} */ (timeline.at(-1));
    process.stderr.write(`soak: ${done}/${schedule.length} calls, ${((performance.now() - soakStart) / 1000).toFixed(0)} s, `
      + `in-use ${(Number(s.wasm_in_use) / MB).toFixed(3)} MB, heap ${(s.wasm_heap / MB).toFixed(1)} MB, RSS ${(s.rss / MB).toFixed(1)} MB\n`);
  }
}
const probeEnd = await probes();
const soakSeconds = (performance.now() - soakStart) / 1000;
const atWarm = timeline.find((s) => s.call === WARMUP);
if (!atWarm || !probeWarm) throw new Error(`--warmup ${WARMUP} must be below --calls ${CALLS}`);
const atEnd = /** @type {ReturnType<typeof sample>} */ (timeline.at(-1));
const afterWarm = timeline.filter((s) => s.call >= WARMUP);
const range = (/** @type {(s: ReturnType<typeof sample>) => number} */ f) => {
  const xs = afterWarm.map(f);
  return { min: Math.min(...xs), max: Math.max(...xs) };
};
const live = (/** @type {ReturnType<typeof sample>} */ s) => s.js_heap_used + s.external;

for (const p of Object.values(pipes)) await p.dispose();
sst2Model.dispose();
liveModels = [];
const afterSoakDisposed = sample(schedule.length, 'soak models disposed');

// ---------------------------------------------------------------------------------------------
// (b) pipeline() → one call → dispose(), CYCLES times

const cycles = [];
const cycleBase = sample(0, 'cycles: baseline');
/** @type {any} */
let firstResult = null;
let resultsIdentical = true, loadedInUse = 0;
const cycleStart = performance.now();
for (let i = 1; i <= CYCLES; i++) {
  const p = await pipeline('sentiment-analysis', model('bert-mini-sst2'), load);
  const r = await p('a great , moving film .', { top_k: null });
  loadedInUse = Math.max(loadedInUse, Number(heapStats().in_use_bytes));
  await p.dispose();
  if (!firstResult) firstResult = r;
  else if (!isDeepStrictEqual(r, firstResult)) resultsIdentical = false;
  const h = heapStats();
  cycles.push({ cycle: i, wasm_in_use: h.in_use_bytes, wasm_heap: h.heap_bytes, rss: i % 10 === 0 || i === 1 ? sample(i, 'cycle').rss : null });
}
const cycleSeconds = (performance.now() - cycleStart) / 1000;
const cycleEnd = sample(CYCLES, 'cycles: end');

// ---------------------------------------------------------------------------------------------
// Figures

const d = (/** @type {number} */ a, /** @type {number} */ b) => b - a;
const mb = (/** @type {number | null} */ x, digits = 3) => (x === null ? 'n/a' : (x / MB).toFixed(digits));
const signed = (/** @type {number | null} */ x, digits = 3) => (x === null ? 'n/a' : `${x >= 0 ? '+' : '−'}${(Math.abs(x) / MB).toFixed(digits)}`);
const inUseDelta = d(Number(atWarm.wasm_in_use), Number(atEnd.wasm_in_use));
const rssDelta = d(atWarm.rss, atEnd.rss);
const liveDelta = d(live(atWarm), live(atEnd));
const inUseGone = d(Number(baselineRuntime.wasm_in_use), Number(afterSoakDisposed.wasm_in_use));
const cycleDeltas = cycles.map((c) => d(Number(cycleBase.wasm_in_use), Number(c.wasm_in_use)));
const maxCycleDelta = cycleDeltas.length ? cycleDeltas.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0) : null;
const partsDelta = atWarm.rss_parts && atEnd.rss_parts ? {
  wasm: d(atWarm.rss_parts.wasm, atEnd.rss_parts.wasm), brk: d(atWarm.rss_parts.brk, atEnd.rss_parts.brk),
  other: d(atWarm.rss_parts.other, atEnd.rss_parts.other),
} : null;
const N = CALLS.toLocaleString('en-US');
const probesIdentical = isDeepStrictEqual(probeWarm.out, probeEnd.out);
/** @type {{check: string, measured: number | string | null, unit?: string, relative?: number, limit: string, pass: boolean | null}[]} */
const checks = [
  { check: `(a) wasm allocator in-use, after ${N} calls vs after warm-up`, measured: inUseDelta, unit: 'bytes',
    limit: `|Δ| ≤ ${IN_USE_LIMIT / MB} MB`, pass: inUseDelta !== null && Math.abs(inUseDelta) <= IN_USE_LIMIT },
  { check: `(a) Node RSS, after ${N} calls vs after warm-up${mallocTuned ? ' (MALLOC_MMAP_THRESHOLD_ ' + process.env.MALLOC_MMAP_THRESHOLD_ + ')' : ' (glibc defaults)'}`,
    measured: rssDelta, unit: 'bytes', relative: rssDelta / atWarm.rss, limit: `|Δ| ≤ ${RSS_LIMIT * 100} %`,
    pass: Math.abs(rssDelta / atWarm.rss) <= RSS_LIMIT },
  { check: `(a) live JS memory (V8 heap used + ArrayBuffers/external, wasm memory included), after ${N} calls vs after warm-up`,
    measured: liveDelta, unit: 'bytes', limit: 'informational', pass: null },
  { check: `(a) wasm memory size, after ${N} calls vs after warm-up`, measured: d(atWarm.wasm_heap, atEnd.wasm_heap), unit: 'bytes',
    limit: 'no growth', pass: atEnd.wasm_heap === atWarm.wasm_heap },
  { check: '(a) wasm in-use after disposing every soak model vs before the first load', measured: inUseGone, unit: 'bytes',
    limit: `|Δ| ≤ ${IN_USE_LIMIT / MB} MB`, pass: inUseGone !== null && Math.abs(inUseGone) <= IN_USE_LIMIT },
  { check: '(a) probe results after warm-up and at the end', measured: probesIdentical ? 'identical' : 'DIFFERENT',
    limit: 'identical', pass: probesIdentical },
  { check: '(a) probe sentiment vs Hugging Face (8 SST-2 dev sentences, max |Δscore|)', measured: probeEnd.maxDiffVsHF, limit: '≤ 1e-4',
    pass: probeEnd.maxDiffVsHF <= 1e-4 },
  { check: `(b) wasm in-use after each of ${CYCLES} load → dispose cycles vs baseline (max |Δ|)`, measured: maxCycleDelta, unit: 'bytes',
    limit: `|Δ| ≤ ${IN_USE_LIMIT / MB} MB`, pass: maxCycleDelta !== null && Math.abs(maxCycleDelta) <= IN_USE_LIMIT },
  { check: `(b) results of the ${CYCLES} cycles`, measured: resultsIdentical ? 'identical' : 'DIFFERENT', limit: 'identical', pass: resultsIdentical },
];

const stats = (/** @type {Record<string, {calls: number, inputs: number, ms: number}>} */ t) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { calls: v.calls, inputs: v.inputs, mean_ms: +(v.ms / v.calls).toFixed(2) }]));
const summary = {
  date: new Date().toISOString(), commit, wasm: `${path.basename(wasmFile)} sha256 ${wasmSha}`, glibc_env: glibcEnv, node: process.version, machine: `${os.cpus()[0]?.model ?? 'cpu'}, ${os.cpus().length} CPUs`,
  settings: { calls: CALLS, warmup: WARMUP, cycles: CYCLES, sample_every: EVERY, threads: THREADS, seed: SEED,
    runtime: { variant: runtime.variant, threads: runtime.threads },
    in_use_limit_bytes: IN_USE_LIMIT, rss_limit_relative: RSS_LIMIT },
  mix: { classes: CLASSES, tasks: TASKS, explain: EXPLAIN, envelope_calls: schedule.filter((c) => c.envelope).length,
    inputs: Object.values(perTask).reduce((a, t) => a + t.inputs, 0), per_task: stats(perTask), per_class: stats(perClass),
    calls_per_batch_size: perBatch },
  soak: {
    seconds: +soakSeconds.toFixed(1),
    runtime_baseline: baselineRuntime, after_load: afterLoad, after_warmup: atWarm, after_all: atEnd, after_dispose: afterSoakDisposed,
    after_warmup_range: { wasm_in_use: range((s) => Number(s.wasm_in_use)), wasm_heap: range((s) => s.wasm_heap), rss: range((s) => s.rss) },
    deltas: { wasm_in_use: inUseDelta, wasm_in_use_disposed_vs_runtime_baseline: inUseGone, wasm_heap: d(atWarm.wasm_heap, atEnd.wasm_heap), rss: rssDelta, rss_relative: rssDelta / atWarm.rss,
      rss_parts: partsDelta, live_js: liveDelta,
      js_heap_used: d(atWarm.js_heap_used, atEnd.js_heap_used) },
    probe_max_diff_vs_hf: probeEnd.maxDiffVsHF, probes_identical: probesIdentical,
    timeline,
  },
  cycles: {
    model: 'bert-mini-sst2', seconds: +cycleSeconds.toFixed(1), baseline: cycleBase, end: cycleEnd,
    loaded_in_use_max: loadedInUse, max_delta: maxCycleDelta, final_delta: cycleDeltas.at(-1) ?? null,
    rss_delta: d(cycleBase.rss, cycleEnd.rss), wasm_heap_delta: d(cycleBase.wasm_heap, cycleEnd.wasm_heap),
    results_identical: resultsIdentical, per_cycle: cycles,
  },
  checks,
};
fs.writeFileSync(o.json, `${JSON.stringify(summary, null, 1)}\n`);

const cell = (/** @type {string} */ x) => x.replace(/\|/g, '\\|');
const pct = (/** @type {number} */ x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(2)} %`;
const parts = (/** @type {ReturnType<typeof sample>} */ s) => (s.rss_parts
  ? ` (wasm ${mb(s.rss_parts.wasm, 1)}, rest ${mb(s.rss - s.rss_parts.wasm, 1)})` : '');
const row = (/** @type {string} */ label, /** @type {ReturnType<typeof sample>} */ s) =>
  `| ${label} | ${mb(s.wasm_in_use)} | ${mb(s.wasm_heap, 1)} | ${mb(s.rss, 1)}${parts(s)} |`;
const mixLine = Object.entries(perTask).map(([k, t]) => `${k} ${t.calls}`).join(', ');
const md = [
  '## Soak (issue 7): `npm run bench:soak`',
  '',
  `${N} mixed calls through \`pipeline()\` / \`explain()\` in Node ${process.version}, engine ${runtime.variant}-threaded build, ${runtime.threads} thread; `
  + `then ${CYCLES} × (\`pipeline()\` → one call → \`dispose()\`) of bert-mini-sst2. In-use = the wasm allocator's allocated bytes (mallinfo `
  + '`uordblks`, the engine\'s `heapStats()` binding); heap = wasm memory size (grows, never shrinks); RSS sampled after a full GC every '
  + `${EVERY} calls (split with Linux smaps into the wasm memory and the rest)${mallocTuned ? `, glibc with MALLOC_MMAP_THRESHOLD_=${process.env.MALLOC_MMAP_THRESHOLD_} `
  + '(freed blocks ≥ 64 KiB go back to the OS; glibc\'s default keeps freed large JS buffers resident and RSS then grows with the largest transients, not with live memory — `--no-malloc-tuning`)' : ' with glibc defaults'}. `
  + 'MB = 10⁶ bytes. Raw figures: `bench/soak.json`. '
  + `${summary.date.slice(0, 16).replace('T', ' ')} UTC · commit ${commit} · ${summary.wasm} · ${summary.machine} (shared machine)`
  + '.',
  '',
  `Mix: ${mixLine}; ${summary.mix.inputs.toLocaleString('en-US')} inputs; token lengths `
  + `${CLASSES.map((c) => `${c.name} ${c.lo}–${c.hi} (${perClass[c.name]?.calls ?? 0} calls, batch ≤ ${c.maxBatch})`).join(', ')}; `
  + `explanations (${EXPLAIN_METHODS.join(', ')}) on 5–40-token texts (integrated gradients 8 steps, LIME 32 samples). The first `
  + `${summary.mix.envelope_calls} calls run every task and length class at its largest shape, so grow-only scratch buffers reach their `
  + `high-water mark inside the ${WARMUP}-call warm-up. Soak ${soakSeconds.toFixed(0)} s, cycles ${cycleSeconds.toFixed(0)} s.`,
  '',
  '| state | in-use MB | heap MB | RSS MB |',
  '|---|---:|---:|---:|',
  row('runtime created, no model', baselineRuntime),
  row('4 models loaded', afterLoad),
  row(`after warm-up (${WARMUP} calls)`, atWarm),
  row(`after ${N} calls`, atEnd),
  `| Δ (after ${N} − after warm-up) | ${signed(inUseDelta)} | ${signed(d(atWarm.wasm_heap, atEnd.wasm_heap), 1)} | ${signed(rssDelta, 1)} (${pct(rssDelta / atWarm.rss)})`
  + `${partsDelta ? `; wasm ${signed(partsDelta.wasm, 1)}, rest ${signed(partsDelta.brk + partsDelta.other, 1)}` : ''} |`,
  `| range over the ${afterWarm.length} samples from the warm-up on | ${mb(range((s) => Number(s.wasm_in_use)).min)}–${mb(range((s) => Number(s.wasm_in_use)).max)} | `
  + `${mb(range((s) => s.wasm_heap).min, 1)}–${mb(range((s) => s.wasm_heap).max, 1)} | ${mb(range((s) => s.rss).min, 1)}–${mb(range((s) => s.rss).max, 1)} |`,
  row('soak models disposed', afterSoakDisposed),
  `| cycles: baseline / while loaded (max) | ${mb(cycleBase.wasm_in_use)} / ${mb(loadedInUse)} | ${mb(cycleBase.wasm_heap, 1)} | ${mb(cycleBase.rss, 1)} |`,
  `| after ${CYCLES} load → dispose cycles | ${mb(cycleEnd.wasm_in_use)} (max \\|Δ\\| over cycles ${mb(maxCycleDelta === null ? null : Math.abs(maxCycleDelta))}) | ${mb(cycleEnd.wasm_heap, 1)} | ${mb(cycleEnd.rss, 1)} |`,
  '',
  '| check | measured | target | |',
  '|---|---:|---|---|',
  ...checks.map((c) => {
    const m = typeof c.measured !== 'number' ? String(c.measured) : c.unit === 'bytes' ? `${signed(c.measured)} MB` : c.measured.toExponential(2);
    const rel = c.relative !== undefined ? ` (${pct(c.relative)})` : '';
    return `| ${cell(c.check)} | ${m}${rel} | ${cell(c.limit)} | ${c.pass === null ? 'info' : c.pass ? 'pass' : '**FAIL**'} |`;
  }),
  '',
].join('\n');
fs.writeFileSync(o.md, md);
console.log(md);
console.log(`wrote ${o.json} and ${o.md}`);
const failed = checks.filter((c) => c.pass === false);
if (failed.length) console.error(`soak: ${failed.length} check(s) failed: ${failed.map((c) => c.check).join('; ')}`);
if (o.strict && failed.length) process.exitCode = 1;
