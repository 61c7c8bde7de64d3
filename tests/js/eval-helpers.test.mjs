// Pure-JS pieces of the evaluators: seqeval's entity scoring (checked against seqeval's own
// documented example), the CoNLL and SST-2 readers, first-sub-token word labelling, and the
// code point → UTF-16 offset conversion.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entities, entityScores } from '../../js/eval/seqeval.js';
import { parseConll, wordTags } from '../../js/eval/conll03.js';
import { parseSst2 } from '../../js/eval/sst2.js';
import { toUtf16Offsets } from '../../js/offsets.js';

test('seqeval: README example gives F1 0.50', () => {
  const gold = [['O', 'O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const pred = [['O', 'O', 'B-MISC', 'I-MISC', 'I-MISC', 'I-MISC', 'O'], ['B-PER', 'I-PER', 'O']];
  const s = entityScores(gold, pred);
  assert.equal(s.f1, 0.5);
  assert.equal(s.precision, 0.5);
  assert.equal(s.recall, 0.5);
});

test('seqeval: default mode starts entities at I- after O or after another type', () => {
  assert.deepEqual(entities(['I-PER', 'I-PER', 'O', 'B-LOC', 'I-ORG', 'B-MISC', 'B-MISC']), [
    { type: 'PER', start: 0, end: 1 }, { type: 'LOC', start: 3, end: 3 }, { type: 'ORG', start: 4, end: 4 },
    { type: 'MISC', start: 5, end: 5 }, { type: 'MISC', start: 6, end: 6 },
  ]);
});

test('conll: reader skips -DOCSTART- and splits sentences on blank lines', () => {
  const text = '-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n';
  assert.deepEqual(parseConll(text), [
    { words: ['EU', 'rejects'], tags: ['B-ORG', 'O'] }, { words: ['Peter'], tags: ['B-PER'] },
  ]);
});

test('conll: each word takes its first sub-token label', () => {
  // "EU rejects": [CLS] eu re ##jects [SEP]; labels per token: -, B-ORG, O, B-PER, -
  const enc = /** @type {any} */ ({
    ids: new Int32Array(5), sequence_ids: Int32Array.from([-1, 0, 0, 0, -1]),
    offsets: Int32Array.from([0, 0, 0, 2, 3, 5, 5, 10, 0, 0]),
  });
  const labels = [0, 1, 0, 2, 0];
  const data = new Float32Array(5 * 3);
  labels.forEach((l, t) => { data[t * 3 + l] = 1; });
  const tags = wordTags(['EU', 'rejects'], enc, { data, dims: [1, 5, 3] }, 0, { 0: 'O', 1: 'B-ORG', 2: 'B-PER' });
  assert.deepEqual(tags, ['B-ORG', 'O']);
});

test('sst2: reader', () => {
  assert.deepEqual(parseSst2('sentence\tlabel\na b .\t1\nc\t0\n'), [{ sentence: 'a b .', label: 1 }, { sentence: 'c', label: 0 }]);
  assert.throws(() => parseSst2('text\tlabel\n'), /header/);
});

test('offsets: code points → UTF-16 for each sequence of a pair', () => {
  const cp = Int32Array.from([0, 0, 0, 1, 2, 3, 0, 0, 0, 1, 0, 0]);
  const seq = Int32Array.from([-1, 0, 0, -1, 1, -1]);
  assert.deepEqual(Array.from(toUtf16Offsets(cp, seq, ['😀 a', 'b'])), [0, 0, 0, 2, 3, 4, 0, 0, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(toUtf16Offsets(cp, seq, ['x a', 'b'])), Array.from(cp));
});
