// The CLI's encoder-task commands: zero-shot, rank, embed of a sentence-transformers folder (--st,
// --no-st, prompts, --truncate-dim, --precision), long texts (--long-text chunk, ner --stride,
// --metadata) — each printing what the pipeline returns for the same input.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from '../../js/index.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';
import { copyModel, oneOutputCopy, setLabels, tempModels } from './helpers/model-copies.js';

const CLI = join(REPO, 'bin', 'bertology.mjs');

/**
 * @param {string[]} args
 * @param {string} [stdin]
 * @returns {Promise<{code: number, stdout: string, stderr: string}>}
 */
function run(args, stdin) {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args, '--threads', '1'], { timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
    child.stdin?.end(stdin ?? '');
  });
}

/** @type {ReturnType<typeof tempModels>} */
let tmp;
const dirs = /** @type {Record<string, string>} */ ({});
before(() => {
  if (SKIP_REASON) return;
  tmp = tempModels('bertology-cli-');
  dirs.nli = copyModel(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'nli'), (c) => setLabels(c, ['contradiction', 'entailment']));
  dirs.ce = oneOutputCopy(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'ce'), 1);
  const st = copyModel(sharedPath('models', 'bert-mini-mlm'), join(tmp.root, 'st'));
  writeFileSync(join(st, 'modules.json'), JSON.stringify([{ idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }]));
  mkdirSync(join(st, '1_Pooling'));
  writeFileSync(join(st, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 256, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false }));
  writeFileSync(join(st, 'config_sentence_transformers.json'), JSON.stringify({ prompts: { query: 'query: ' } }));
  dirs.st = st;
});
after(() => tmp?.cleanup());

test('cli: zero-shot and rank print the pipelines\' results', { skip: SKIP_REASON }, async () => {
  const text = 'The food was cold and the waiter was rude.';
  const z = await run(['zero-shot', '--model', dirs.nli, '--labels', 'restaurant, cinema, sports', '--multi-label', text]);
  assert.equal(z.code, 0, z.stderr);
  const zs = await pipeline('zero-shot-classification', dirs.nli, { threads: 1 });
  try {
    assert.deepEqual(JSON.parse(z.stdout), await zs(text, ['restaurant', 'cinema', 'sports'], { multi_label: true }));
  } finally {
    await zs.dispose();
  }
  const docs = ['A great film.', 'The worst meal ever.', 'Nice weather.'];
  const r = await run(['rank', '--model', dirs.ce, '--query', 'movie review', '--top-k', '2', '--return-documents'], `${docs.join('\n')}\n`);
  assert.equal(r.code, 0, r.stderr);
  const ranker = await pipeline('text-ranking', dirs.ce, { threads: 1 });
  try {
    assert.deepEqual(JSON.parse(r.stdout), await ranker('movie review', docs, { top_k: 2, return_documents: true }));
  } finally {
    await ranker.dispose();
  }
});

test('cli: embed a sentence-transformers model (--st, --no-st, prompts, truncate-dim, precision)', { skip: SKIP_REASON }, async () => {
  const e = await run(['embed', '--model', dirs.st, '--st', '--prompt-name', 'query', 'a cat', 'a dog']);
  assert.equal(e.code, 0, e.stderr);
  const out = JSON.parse(e.stdout);
  assert.deepEqual(out.dims, [2, 256]);
  assert.equal(out.type, 'float32');
  const extractor = await pipeline('feature-extraction', dirs.st, { threads: 1 });
  try {
    assert.deepEqual(out.data, (await extractor(['a cat', 'a dog'], { prompt_name: 'query' })).tolist());
    const q = JSON.parse((await run(['embed', '--model', dirs.st, '--truncate-dim', '64', '--precision', 'ubinary', 'a cat', 'a dog'])).stdout);
    assert.deepEqual(q.dims, [2, 8]);
    assert.deepEqual(q.data, (await extractor(['a cat', 'a dog'], { truncate_dim: 64, precision: 'ubinary' })).tolist());
  } finally {
    await extractor.dispose();
  }
  const plain = JSON.parse((await run(['embed', '--model', dirs.st, '--no-st', '--pooling', 'mean', 'a cat'])).stdout);
  assert.deepEqual(plain.dims, [1, 256]);
  const noSt = await run(['embed', '--model', sharedPath('models', 'bert-mini-mlm'), '--st', 'a cat']);
  assert.equal(noSt.code, 1);
  assert.match(noSt.stderr, /no sentence-transformers files/);
});

test('cli: long texts — classify --long-text chunk, ner --stride, --metadata', { skip: SKIP_REASON }, async () => {
  const long = 'The acting was superb and the story moving. '.repeat(80);
  const c = await run(['classify', '--model', sharedPath('models', 'bert-mini-sst2'), '--long-text', 'chunk', '--stride', '32', '--metadata', long]);
  assert.equal(c.code, 0, c.stderr);
  const [r] = JSON.parse(c.stdout);
  assert.equal(r.metadata.chunks, 2);
  assert.equal(r.metadata.truncated, false);
  const n = await run(['ner', '--model', sharedPath('models', 'bert-mini-conll03'), '--stride', '64', '--metadata', 'John Smith visited Paris in May. '.repeat(100)]);
  assert.equal(n.code, 0, n.stderr);
  const { result: entities, metadata } = JSON.parse(n.stdout);
  assert.ok(metadata.chunks >= 2 && metadata.tokens > 512, JSON.stringify(metadata));
  assert.ok(entities.length > 100, `${entities.length} entities over the whole text`);
  assert.ok(entities.every((/** @type {any} */ e) => 'entity_group' in e));
  for (const args of [['zero-shot', '--model', 'x', 'text'], ['rank', '--model', 'x', 'doc'], ['embed', '--model', 'x', '--st', '--no-st', 'a'],
    ['classify', '--model', 'x', '--stride', '8', 'a'], ['rank', '--model', 'x', '--query', 'q', '--labels', 'a', 'doc']]) {
    const u = await run(args);
    assert.equal(u.code, 2, `${args.join(' ')}: ${u.stderr}`);
    assert.match(u.stderr, /usage:/);
  }
});
