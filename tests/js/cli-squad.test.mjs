// SQuAD v1.1 evaluation with bert-mini-squad on the held-out dev articles 40– (1,589 questions): the
// README's figures for both align_to_words settings (one model run, decoded both ways), then the CLI
// (`bertology eval squad`, both settings, predictions file) on article 40 against those results; and the
// official evaluator's normalization and F1 rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from '../../js/index.js';
import { normalizeAnswer, exactMatch, f1Score, scoreSquad, squadQuestions, articleRange, evaluateSquad } from '../../js/eval/squad.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';

const CLI = join(REPO, 'bin', 'bertology.mjs');
const TIMEOUT_MS = 20 * 60 * 1000;

/**
 * @param {string[]} args
 * @returns {Promise<{json: any, stderr: string}>}
 */
function runCli(args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`CLI failed (${err.code ?? err.signal}): ${stderr}`));
      const lines = stdout.trimEnd().split('\n');
      resolve({ json: JSON.parse(lines[lines.length - 1]), stderr });
    });
  });
}

test('squad scoring follows the official v1.1 evaluator', () => {
  assert.equal(normalizeAnswer('The  Cat\'s, a-b!'), 'cats ab');
  assert.equal(normalizeAnswer('An apple and THE pear'), 'apple and pear');
  assert.equal(normalizeAnswer('theatre anthem'), 'theatre anthem', 'articles only as whole words');
  assert.equal(normalizeAnswer('éthe the—an'), 'éthe —', 'Unicode-aware word boundaries; only ASCII punctuation dropped');
  assert.equal(exactMatch('the Denver Broncos', 'Denver Broncos.'), 1);
  assert.equal(f1Score('a b b c', 'b b d'), (2 * (2 / 3) * (2 / 3)) / (4 / 3)); // tokens: "b b c" vs "b b d"
  assert.equal(f1Score('b', 'b b'), (2 * 1 * 0.5) / 1.5, 'multiset overlap');
  assert.equal(f1Score('the', 'a'), 0, 'empty after normalization');
  const questions = [{ id: 'q1', question: '', context: '', answers: ['Paris', 'in Paris'] },
    { id: 'q2', question: '', context: '', answers: ['1889'] }];
  const s = scoreSquad(questions, { q1: 'in Paris France', q2: 'in 1889' });
  assert.equal(s.total, 2);
  assert.equal(s.exact_match, 0);
  assert.ok(Math.abs(s.f1 - 100 * ((0.8 + 2 / 3) / 2)) < 1e-9);
  assert.deepEqual(articleRange('40:', 48), [40, 48]);
  assert.deepEqual(articleRange(':40', 48), [0, 40]);
  assert.deepEqual(articleRange('-8:', 48), [40, 48]);
  assert.deepEqual(articleRange('3', 48), [3, 4]);
  assert.throws(() => articleRange('x', 48), /invalid article range/);
});

/** In-process results over articles 40– by align_to_words setting, shared with the CLI test. */
/** @type {Map<boolean, {exact_match: number, f1: number, total: number, predictions: Record<string, any>}>} */
const full = new Map();

test('squad: articles 40– give EM 13.09 / F1 20.04 (aligned) and 13.03 / 20.03 (not aligned)', { skip: SKIP_REASON }, async (t) => {
  const questions = squadQuestions(JSON.parse(readFileSync(sharedPath('data', 'squad', 'dev-v1.1.json'), 'utf8')), '40:');
  assert.equal(questions.length, 1589);
  const qa = await pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 2 });
  const started = performance.now();
  let windows = 0;
  try {
    for (const q of questions) windows += qa.windows(q, qa.settings({ max_seq_len: 256, doc_stride: 64 })).length;
    for (const r of await evaluateSquad(qa, questions, { align_to_words: [true, false] })) full.set(r.align_to_words, r);
  } finally {
    await qa.dispose();
  }
  const aligned = /** @type {any} */ (full.get(true));
  const plain = /** @type {any} */ (full.get(false));
  t.diagnostic(`${windows} windows in ${((performance.now() - started) / 1000).toFixed(1)} s; aligned EM ${aligned.exact_match.toFixed(4)} `
    + `F1 ${aligned.f1.toFixed(4)}; not aligned EM ${plain.exact_match.toFixed(4)} F1 ${plain.f1.toFixed(4)}`);
  assert.equal(windows, 1681);
  assert.ok(Math.abs(aligned.exact_match - 13.09) <= 0.1 && Math.abs(aligned.f1 - 20.04) <= 0.1);
  assert.ok(Math.abs(plain.exact_match - 13.03) <= 0.1 && Math.abs(plain.f1 - 20.03) <= 0.1);
  for (const q of questions) {
    const p = aligned.predictions[q.id];
    assert.equal(q.context.slice(p.start, p.end), p.answer);
  }
});

for (const align of [true, false]) {
  test(`cli: eval squad${align ? '' : ' --no-align-to-words'} on article 40 agrees with the pipeline`, { skip: SKIP_REASON }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'bertology-squad-'));
    try {
      const file = join(dir, 'predictions.json');
      const data = sharedPath('data', 'squad', 'dev-v1.1.json');
      const { json, stderr } = await runCli(['eval', 'squad', '--model', sharedPath('models', 'bert-mini-squad'), '--data', data,
        '--articles', '40:41', '--json', '--predictions', file, '--threads', '2', ...(align ? [] : ['--no-align-to-words'])]);
      t.diagnostic(`${stderr.trim().split('\n').pop()}; ${JSON.stringify(json)}`);
      assert.deepEqual(Object.keys(json), ['exact_match', 'f1', 'total']);
      const questions = squadQuestions(JSON.parse(readFileSync(data, 'utf8')), '40:41');
      assert.equal(json.total, questions.length);
      const predictions = JSON.parse(readFileSync(file, 'utf8'));
      assert.equal(Object.keys(predictions).length, questions.length);
      const expected = full.get(align);
      for (const q of questions) {
        const p = predictions[q.id];
        assert.deepEqual(Object.keys(p), ['answer', 'score', 'start', 'end'], q.id);
        assert.equal(q.context.slice(p.start, p.end), p.answer, q.id);
        if (expected) {
          const e = expected.predictions[q.id];
          assert.deepEqual([p.answer, p.start, p.end], [e.answer, e.start, e.end], q.id);
          assert.ok(Math.abs(p.score - e.score) <= 1e-6 * e.score);
        }
      }
      const rescored = scoreSquad(questions, Object.fromEntries(Object.entries(predictions).map(([id, p]) => [id, /** @type {any} */ (p).answer])));
      assert.ok(Math.abs(rescored.exact_match - json.exact_match) < 1e-9 && Math.abs(rescored.f1 - json.f1) < 1e-9);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
