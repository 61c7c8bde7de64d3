#!/usr/bin/env node
// The cost of each explanation method relative to one forward pass of the same input (a benchmark,
// never a timed test). Default: bert-mini-sst2, one SST-2-like text of 64 tokens, 1 thread.
//
//   node bench/explain.mjs [--model DIR] [--seq 64] [--threads 1] [--steps 32] [--samples 300]
//                          [--runs 3] [--json FILE]
// Prints a table (method, ms, × forward, sequences forwarded / backpropagated) and, last, one JSON line.

import path from 'node:path';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BertologyModel } from '../js/index.js';
import { explain, releaseExplainer } from '../js/explain/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(ROOT, process.env.BERTOLOGY_SHARED ?? '../shared');

const { values: o } = parseArgs({
  options: {
    model: { type: 'string', default: path.join(SHARED, 'models/bert-mini-sst2') },
    seq: { type: 'string', default: '64' }, threads: { type: 'string', default: '1' },
    steps: { type: 'string', default: '32' }, samples: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' }, json: { type: 'string' },
  },
});
const seq = Number(o.seq), runs = Number(o.runs);

/** Median wall time (ms) of `runs` calls after one warm-up. */
async function time(fn) {
  await fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

/** A text of exactly `seq` tokens (specials included) from SST-2 dev sentences. */
function textOfLength(model) {
  const words = fs.readFileSync(path.join(SHARED, 'data/sst2/dev.tsv'), 'utf8').split('\n').slice(1)
    .map((l) => l.split('\t')[0]).join(' ').split(/\s+/);
  let text = '';
  for (const w of words) {
    const next = text ? `${text} ${w}` : w;
    if (model.tokenize(next).ids.length > seq) break;
    text = next;
  }
  return text;
}

const model = await BertologyModel.load(o.model, { threads: Number(o.threads) });
const text = textOfLength(model);
const encoding = model.tokenize(text);
const forwardMs = await time(() => model.forwardEncodings([encoding]));
const steps = Number(o.steps), samples = Number(o.samples);
const methods = [
  ['grad_x_input', {}], ['integrated_gradients', { steps }], ['occlusion', {}], ['lime', { samples }],
  ['attention_rollout', {}], ['gradient_weighted_rollout', {}],
];
const firstCall = performance.now();
await explain(model, undefined, text, { method: 'grad_x_input' });  // builds the backward weights once
const setupMs = performance.now() - firstCall;
const rows = [];
for (const [method, options] of methods) {
  let last;
  const ms = await time(async () => { last = await explain(model, undefined, text, { method, ...options }); });
  rows.push({
    method: method === 'integrated_gradients' ? `integrated_gradients-${steps}` : method === 'lime' ? `lime-${samples}` : method,
    ms: +ms.toFixed(1), x_forward: +(ms / forwardMs).toFixed(1), words: last.words.length, ...last.cost,
  });
}
// The first call also built the backward weights: its time beyond a warm grad_x_input.
const backwardSetupMs = Math.max(0, Math.round(setupMs - rows[0].ms));
console.log(`model ${path.basename(o.model)}, ${encoding.ids.length} tokens, threads ${o.threads}; forward ${forwardMs.toFixed(1)} ms; first explanation (backward weights) +${backwardSetupMs} ms`);
console.log('method                      ms   × forward   sequences fwd / bwd');
for (const r of rows) {
  console.log(`${r.method.padEnd(24)} ${String(r.ms).padStart(7)} ${String(r.x_forward).padStart(10)}   ${r.forward_sequences} / ${r.backward_sequences}`);
}
const summary = { model: path.basename(o.model), seq: encoding.ids.length, threads: Number(o.threads), forward_ms: +forwardMs.toFixed(2), backward_setup_ms: backwardSetupMs, methods: rows };
if (o.json) fs.writeFileSync(o.json, JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
releaseExplainer(model);
model.dispose();
