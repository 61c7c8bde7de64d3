// dtype q8 (int8 encoder weights and word embeddings): accuracy stays within 0.5 points of fp32 on
// SST-2 dev (fp32 747/872 = 0.85665) and CoNLL-03 test (fp32 F1 0.8115), through the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED, SKIP_REASON } from './helpers/shared.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/bertology.mjs');
const lastJson = (out) => JSON.parse(out.trim().split('\n').at(-1));
const run = (...args) => lastJson(execFileSync(process.execPath, [CLI, ...args, '--dtype', 'q8', '--json'],
  { encoding: 'utf8', maxBuffer: 64 << 20 }));

test('q8: SST-2 dev accuracy within 0.5 points of fp32', { skip: SKIP_REASON }, (t) => {
  const r = run('eval', 'sst2', '--model', `${SHARED}/models/bert-mini-sst2`, '--data', `${SHARED}/data/sst2/dev.tsv`);
  t.diagnostic(`q8 accuracy ${r.correct}/${r.total} = ${r.accuracy}`);
  assert.ok(Math.abs(r.accuracy - 747 / 872) <= 0.005, `accuracy ${r.accuracy}`);
});

test('q8: CoNLL-03 F1 within 0.5 points of fp32', { skip: SKIP_REASON }, (t) => {
  const r = run('eval', 'conll03', '--model', `${SHARED}/models/bert-mini-conll03`, '--data', `${SHARED}/data/conll2003/test.txt`);
  t.diagnostic(`q8 F1 ${r.f1}`);
  assert.ok(Math.abs(r.f1 - 0.8115) <= 0.005, `F1 ${r.f1}`);
});
