// The CLI as a child process: SST-2 dev accuracy and every prediction against Hugging Face's
// text-classification pipeline; CoNLL-03 test entity F1. The process must also exit by itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

const CLI = join(REPO, 'bin', 'bertology.mjs');
const TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Runs the CLI; resolves with stdout's last line parsed as JSON.
 * @param {string[]} args
 * @returns {Promise<{json: any, stdout: string, stderr: string}>}
 */
function runCli(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`CLI failed (${err.code ?? err.signal}): ${stderr}`));
      const lines = stdout.trimEnd().split('\n');
      try {
        resolve({ json: JSON.parse(lines[lines.length - 1]), stdout, stderr });
      } catch (e) {
        reject(new Error(`last stdout line is not JSON: ${lines[lines.length - 1]}`));
      }
    });
  });
}

test('cli: eval sst2 matches the reference accuracy and every prediction', { skip: SKIP_REASON }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bertology-cli-'));
  try {
    const out = join(dir, 'predictions.jsonl');
    const { json, stderr } = await runCli(['eval', 'sst2', '--model', sharedPath('models', 'bert-mini-sst2'),
      '--data', sharedPath('data', 'sst2', 'dev.tsv'), '--predictions', out, '--json', '--threads', '2']);
    t.diagnostic(stderr.trim());
    assert.deepEqual(Object.keys(json).sort(), ['accuracy', 'correct', 'total']);
    assert.equal(json.correct, 747);
    assert.equal(json.total, 872);
    assert.ok(Math.abs(json.accuracy - 747 / 872) < 1e-12);

    const ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
    const preds = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(preds.length, ref.outputs.length);
    let maxDiff = 0;
    preds.forEach((p, i) => {
      const best = ref.outputs[i][0];
      assert.equal(p.index, i);
      assert.equal(p.label, best.label, `sentence ${i}: label`);
      maxDiff = Math.max(maxDiff, Math.abs(p.score - best.score));
    });
    t.diagnostic(`872/872 labels agree; max |score - reference| = ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-3, `max score diff ${maxDiff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: eval conll03 entity F1', { skip: SKIP_REASON }, async (t) => {
  const { json, stderr } = await runCli(['eval', 'conll03', '--model', sharedPath('models', 'bert-mini-conll03'),
    '--data', sharedPath('data', 'conll2003', 'test.txt'), '--json', '--threads', '2']);
  t.diagnostic(`${stderr.trim()}; f1 ${json.f1} precision ${json.precision} recall ${json.recall}`);
  assert.deepEqual(Object.keys(json).sort(), ['f1', 'precision', 'recall']);
  assert.ok(Math.abs(json.f1 - 0.8115) <= 0.001, `F1 ${json.f1} is not 0.8115 ± 0.001`);
});

test('cli: usage errors exit with code 2', () => new Promise((resolve) => {
  execFile(process.execPath, [CLI, 'eval', 'nope'], { timeout: 60_000 }, (err, _stdout, stderr) => {
    assert.equal(err?.code, 2);
    assert.match(stderr, /usage:/);
    resolve(undefined);
  });
}));
