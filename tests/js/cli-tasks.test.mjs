// The CLI's task commands (classify, fill-mask, ner, qa, embed) print the pipelines' JSON; texts come
// from arguments or stdin; wrong options are usage errors (exit code 2).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO, SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

const CLI = join(REPO, 'bin', 'bertology.mjs');

/**
 * @param {string[]} args
 * @param {string} [stdin]
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
function run(args, stdin) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args, '--threads', '2'], { timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
    if (stdin !== undefined) child.stdin?.end(stdin);
    else child.stdin?.end();
  });
}

const model = (/** @type {string} */ name) => sharedPath('models', name);

test('cli: classify, fill-mask and ner print the pipelines\' results', { skip: SKIP_REASON }, async () => {
  const c = await run(['classify', '--model', model('bert-mini-sst2'), 'I loved the movie! It was fantastic.', 'A complete waste of time.']);
  assert.equal(c.code, 0, c.stderr);
  assert.deepEqual(JSON.parse(c.stdout).map((/** @type {any} */ r) => r.label), ['POSITIVE', 'NEGATIVE']);

  const ref = readSharedJson('reference', 'bert-mini-mlm.fill-mask.json');
  const f = await run(['fill-mask', '--model', model('bert-mini-mlm'), '--top-k', '3', ref.inputs[9]]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(JSON.parse(f.stdout).map((/** @type {any} */ p) => p.sequence), ref.outputs[9].slice(0, 3).map((/** @type {any} */ p) => p.sequence));

  const ner = readSharedJson('reference', 'bert-mini-conll03.ner.json');
  const n = await run(['ner', '--model', model('bert-mini-conll03'), '--aggregation', 'first'], `${ner.texts[25]}\n`);
  assert.equal(n.code, 0, n.stderr);
  assert.deepEqual(JSON.parse(n.stdout).map((/** @type {any} */ e) => e.word), ner.outputs.first[25].map((/** @type {any} */ e) => e.word));
});

test('cli: qa and embed', { skip: SKIP_REASON }, async () => {
  const context = 'The Eiffel Tower was completed in 1889 by the engineer Gustave Eiffel.';
  const q = await run(['qa', '--model', model('bert-mini-squad'), '--question', 'When was the Eiffel Tower completed?', '--context', context]);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout), { ...JSON.parse(q.stdout), answer: '1889', start: 34, end: 38 });

  const e = await run(['embed', '--model', model('bert-mini-sst2'), '--pooling', 'mean', '--normalize', 'hello world', 'goodbye']);
  assert.equal(e.code, 0, e.stderr);
  const { dims, data } = JSON.parse(e.stdout);
  assert.deepEqual(dims, [2, 256]);
  for (const v of data) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
});

test('cli: usage errors exit with code 2', async () => {
  for (const args of [['ner', '--model', 'x', '--pooling', 'mean', 'a'], ['qa', '--model', 'x', '--question', 'q'],
    ['frobnicate', '--model', 'x'], ['classify', 'text'], ['eval', 'squad', '--model', 'x']]) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /usage:/);
  }
});
