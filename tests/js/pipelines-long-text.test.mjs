// Texts longer than the model. Token classification with `stride` on CoNLL-03 test documents joined
// into long texts: entities equal each window (from the tokenizer API's overflowing windows) run on
// its own and merged by Hugging Face's rules (group_entities, aggregate_overlapping_entities, written
// out here); the entity F1 of the joined documents against the same sentences packed into texts that
// fit one window (what windows and merging cost) and against the per-sentence F1 (0.8115). BERT-mini
// was pretrained on 128-token sequences and fine-tuned on single sentences, so windows are 128 tokens
// (max_length) and multi-sentence context alone costs it ~4 pt (measured here, printed). Text
// classification and embeddings with long_text "chunk" against per-window runs averaged by hand;
// truncation metadata; question answering's max_question_len.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pipeline } from '../../js/index.js';
import { parseConll } from '../../js/eval/conll03.js';
import { entityScores } from '../../js/eval/seqeval.js';
import { questionWindows } from '../../js/pipelines/long-text.js';
import { SKIP_REASON, readSharedJson, sharedPath } from './helpers/shared.js';

const PER_SENTENCE_F1 = 0.8115; // shared/README.md: bert-mini-conll03, CoNLL-03 test, Hugging Face
const WINDOW = 128; // BERT-mini's pretraining length: positions beyond it were never trained
const STRIDE = 32;

/** @typedef {{text: string, sentences: {words: string[], tags: string[], starts: number[]}[]}} JoinedText */

/**
 * Appends a sentence to a text (words joined by single spaces), keeping each word's start offset.
 * @param {JoinedText} into
 * @param {{words: string[], tags: string[]}} s
 */
function appendSentence(into, s) {
  const starts = [];
  for (const w of s.words) {
    if (into.text) into.text += ' ';
    starts.push(into.text.length);
    into.text += w;
  }
  into.sentences.push({ ...s, starts });
}

/**
 * CoNLL-03 test documents joined into long texts of at least `minWords` words: sentences and words
 * joined by single spaces; each word's start offset kept.
 */
function joinedDocuments(/** @type {number} */ minWords) {
  const raw = readFileSync(sharedPath('data', 'conll2003', 'test.txt'), 'utf8');
  const docs = raw.split(/^-DOCSTART-.*$/m).map(parseConll).filter((d) => d.length > 0);
  /** @type {JoinedText[]} */
  const texts = [];
  /** @type {JoinedText} */
  let current = { text: '', sentences: [] };
  let words = 0;
  for (const doc of docs) {
    for (const s of doc) {
      appendSentence(current, s);
      words += s.words.length;
    }
    if (words >= minWords) {
      texts.push(current);
      current = { text: '', sentences: [] };
      words = 0;
    }
  }
  if (current.text) texts.push(current);
  return texts;
}

/**
 * The same sentences packed greedily into texts of at most `limit` tokens (a longer sentence alone):
 * multi-sentence context without window boundaries.
 * @param {(text: string) => number} count tokens of a text
 */
function packedSentences(/** @type {number} */ limit, count) {
  /** @type {JoinedText[]} */
  const texts = [];
  for (const doc of joinedDocuments(0)) {
    /** @type {JoinedText} */
    let current = { text: '', sentences: [] };
    for (const s of doc.sentences) {
      if (current.text && count(`${current.text} ${s.words.join(' ')}`) > limit) {
        texts.push(current);
        current = { text: '', sentences: [] };
      }
      appendSentence(current, s);
    }
    if (current.text) texts.push(current);
  }
  return texts;
}

/**
 * Entity F1 of `texts` through the pipeline ("first" aggregation): each word tagged B-/I- by the entity
 * group it falls in, then seqeval.
 * @param {any[]} results per text
 * @param {ReturnType<typeof joinedDocuments>} texts
 */
function wordF1(results, texts) {
  /** @type {string[][]} */
  const gold = [];
  /** @type {string[][]} */
  const predicted = [];
  texts.forEach((doc, k) => {
    const groups = results[k];
    let g = 0;
    for (const s of doc.sentences) {
      gold.push(s.tags);
      predicted.push(s.starts.map((start) => {
        while (g < groups.length && groups[g].end <= start) g++;
        const group = groups[g];
        if (!group || group.start > start) return 'O';
        return `${group.start === start ? 'B' : 'I'}-${group.entity_group}`;
      }));
    }
  });
  assert.equal(gold.length, 3453);
  return entityScores(gold, predicted);
}

/** @type {any} */
let ner;
/** @type {ReturnType<typeof joinedDocuments>} */
let long;
before(async () => {
  if (SKIP_REASON) return;
  ner = await pipeline('ner', sharedPath('models', 'bert-mini-conll03'), { threads: 2 });
  long = joinedDocuments(1500);
});
after(async () => { await ner?.dispose(); });

// --- Hugging Face's rules, written out for the test -------------------------------------------------

/** TokenClassificationPipeline.get_tag. @param {string} name */
const getTag = (name) => (name.startsWith('B-') ? ['B', name.slice(2)] : name.startsWith('I-') ? ['I', name.slice(2)] : ['I', name]);

/** group_entities + group_sub_entities ("simple"), then the ignore_labels filter. @param {any[]} tokens */
function groupSimple(tokens, /** @type {(t: string[]) => string} */ toString) {
  const groups = [];
  /** @type {any[]} */
  let run = [];
  const flush = () => {
    if (!run.length) return;
    const name = run[0].entity;
    groups.push({ entity_group: name.includes('-') ? name.split('-').slice(1).join('-') : name,
      score: run.reduce((s, e) => s + e.score, 0) / run.length, word: toString(run.map((e) => e.word)), start: run[0].start, end: run.at(-1).end });
    run = [];
  };
  for (const e of tokens) {
    if (run.length) {
      const [bi, tag] = getTag(e.entity);
      const [, last] = getTag(run.at(-1).entity);
      if (!(tag === last && bi !== 'B')) flush();
    }
    run.push(e);
  }
  flush();
  return groups.filter((g) => g.entity_group !== 'O');
}

/** aggregate_overlapping_entities. @param {any[]} entities */
function mergeOverlapping(entities) {
  if (!entities.length) return entities;
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const out = [];
  let prev = sorted[0];
  for (const e of sorted) {
    if (prev.start <= e.start && e.start < prev.end) {
      const [len, prevLen] = [e.end - e.start, prev.end - prev.start];
      if (len > prevLen || (len === prevLen && e.score > prev.score)) prev = e;
    } else {
      out.push(prev);
      prev = e;
    }
  }
  out.push(prev);
  return out;
}

test('token-classification stride: entities equal each window run alone and merged by Hugging Face\'s rule', { skip: SKIP_REASON }, async (t) => {
  const texts = long.slice(0, 3).map((x) => x.text);
  const got = await ner(texts, { aggregation_strategy: 'simple', stride: STRIDE, max_length: WINDOW });
  let windowsRun = 0;
  let maxDiff = 0;
  let entitiesSeen = 0;
  for (const [k, text] of texts.entries()) {
    const windows = ner.tokenizer.encode(text, null, { return_overflowing_tokens: true, stride: STRIDE, max_length: WINDOW });
    assert.ok(windows.length >= 10, `text ${k}: ${windows.length} windows`);
    const perWindow = [];
    for (const w of windows) {
      windowsRun++;
      // Each window alone: token labels from the pipeline on its ids (no aggregation), specials dropped.
      const tokens = (await ner({ input_ids: [w.input_ids] }, { ignore_labels: [] }))[0]
        .filter((/** @type {any} */ e) => w.sequence_ids[e.index] === 0)
        .map((/** @type {any} */ e) => {
          const [start, end] = w.offsets[e.index];
          const word = w.tokens[e.index] === '[UNK]' ? text.slice(start, end) : w.tokens[e.index];
          return { entity: e.entity, score: e.score, word, start, end };
        });
      perWindow.push(...groupSimple(tokens, (ts) => ner.tokenizer.convert_tokens_to_string(ts)));
    }
    const expected = mergeOverlapping(perWindow);
    const actual = got[k];
    assert.equal(actual.length, expected.length, `text ${k}: entity count`);
    actual.forEach((/** @type {any} */ e, /** @type {number} */ i) => {
      const x = expected[i];
      assert.deepEqual([e.entity_group, e.word, e.start, e.end], [x.entity_group, x.word, x.start, x.end], `text ${k} entity ${i}`);
      maxDiff = Math.max(maxDiff, Math.abs(e.score - x.score));
    });
    entitiesSeen += actual.length;
    assert.equal(actual.metadata.chunks, windows.length);
    assert.equal(actual.metadata.truncated, false);
  }
  t.diagnostic(`${texts.length} texts (${texts.map((x) => ner.tokenizer.encode(x).input_ids.length).join(', ')} tokens), `
    + `${windowsRun} windows, ${entitiesSeen} entities equal; max |score diff| ${maxDiff.toExponential(2)}`);
  assert.ok(maxDiff <= 1e-6);
});

test('token-classification stride: entity F1 of joined CoNLL-03 test documents (windows + merging cost < 0.5 pt)', { skip: SKIP_REASON }, async (t) => {
  const results = await ner(long.map((x) => x.text), { aggregation_strategy: 'first', stride: STRIDE, max_length: WINDOW, batch_size: 16 });
  const joined = wordF1(results, long);
  // The control: the same sentences, packed into texts that fit one window (no window boundary).
  const packed = packedSentences(WINDOW, (text) => ner.tokenizer.encode(text).input_ids.length);
  const control = wordF1(await ner(packed.map((x) => x.text), { aggregation_strategy: 'first', max_length: WINDOW, batch_size: 16 }), packed);
  const tokens = results.reduce((/** @type {number} */ n, /** @type {any} */ r) => n + r.metadata.tokens, 0);
  const windows = results.reduce((/** @type {number} */ n, /** @type {any} */ r) => n + r.metadata.chunks, 0);
  t.diagnostic(`${long.length} joined texts, ${tokens} tokens (longest ${Math.max(...results.map((/** @type {any} */ r) => r.metadata.tokens))}), `
    + `${windows} windows of ${WINDOW} (stride ${STRIDE}): entity F1 ${joined.f1.toFixed(4)} (P ${joined.precision.toFixed(4)}, `
    + `R ${joined.recall.toFixed(4)}); the same sentences packed into ${packed.length} texts of ≤ ${WINDOW} tokens: `
    + `${control.f1.toFixed(4)}; per sentence (Hugging Face): ${PER_SENTENCE_F1}`);
  assert.ok(Math.abs(joined.f1 - control.f1) <= 0.005, `joined ${joined.f1} vs packed ${control.f1}`);
  assert.ok(joined.f1 > PER_SENTENCE_F1 - 0.06, `joined ${joined.f1}: far below the per-sentence figure`);
});

test('token-classification: without stride long texts are truncated and say so; stride errors', { skip: SKIP_REASON }, async () => {
  const r = await ner(long[0].text, { aggregation_strategy: 'simple' });
  assert.deepEqual(r.metadata, { tokens: r.metadata.tokens, max_length: 512, truncated: true });
  assert.equal(r.metadata.truncated, true);
  assert.equal(r.metadata.max_length, 512);
  assert.ok(r.metadata.tokens > 512);
  assert.ok(r.every((/** @type {any} */ e) => e.end <= long[0].text.length));
  const short = await ner('John lives in Paris.', { aggregation_strategy: 'simple', stride: 16, return_metadata: true });
  assert.deepEqual(short, await ner('John lives in Paris.', { aggregation_strategy: 'simple', return_metadata: true }).then((x) => { x.metadata.chunks = 1; return x; }));
  await assert.rejects(ner('text', { stride: 16 }), /needs aggregation_strategy "simple", "first", "average" or "max"/);
  await assert.rejects(ner('text', { aggregation_strategy: 'simple', stride: -1 }), /stride must be a non-negative integer/);
  await assert.rejects(ner(long[0].text, { aggregation_strategy: 'simple', stride: 510 }), /stride must be an integer in \[0, 510\)/);
});

test('text-classification long_text "chunk": mean / max of the windows\' scores; truncation metadata', { skip: SKIP_REASON }, async (t) => {
  const classifier = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  try {
    const reviews = readFileSync(sharedPath('data', 'imdb', 'test-slice2000.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).text);
    const longOnes = reviews.filter((r) => classifier.tokenizer.encode(r).input_ids.length > 700).slice(0, 3);
    assert.equal(longOnes.length, 3);
    let maxDiff = 0;
    for (const aggregation of ['mean', 'max']) {
      const out = await classifier(longOnes, { long_text: 'chunk', stride: 64, top_k: null, chunk_aggregation: aggregation });
      for (const [i, text] of longOnes.entries()) {
        const windows = classifier.tokenizer.encode(text, null, { return_overflowing_tokens: true, stride: 64 });
        const probs = windows.map((/** @type {any} */ w) => {
          const logits = Array.from(classifier.model.forward({ input_ids: [w.input_ids] }, { output_last_hidden_state: false }).logits.data);
          const m = Math.max(...logits);
          const e = logits.map((v) => Math.exp(v - m));
          return e.map((v) => v / e.reduce((a, b) => a + b, 0));
        });
        const expected = [0, 1].map((k) => (aggregation === 'max' ? Math.max(...probs.map((p) => p[k])) : probs.reduce((s, p) => s + p[k], 0) / probs.length));
        for (const { label, score } of out[i]) maxDiff = Math.max(maxDiff, Math.abs(score - expected[label === 'POSITIVE' ? 1 : 0]));
        assert.deepEqual(out[i].metadata, { tokens: classifier.tokenizer.encode(text).input_ids.length, max_length: 512, truncated: false, chunks: windows.length });
      }
    }
    t.diagnostic(`3 IMDb reviews of > 700 tokens, windows of 512 with stride 64: max |score - hand computation| ${maxDiff.toExponential(2)}`);
    assert.ok(maxDiff <= 1e-6);
    const truncated = await classifier(longOnes[0]);
    assert.deepEqual(Object.keys(truncated[0]), ['label', 'score']);
    assert.equal(truncated[0].metadata.truncated, true);
    assert.equal(JSON.stringify(truncated).includes('metadata'), false);
    const shown = await classifier(longOnes[0], { return_metadata: true });
    assert.deepEqual(Object.keys(shown[0]), ['label', 'score', 'metadata']);
    await assert.rejects(classifier({ text: 'a', text_pair: 'b' }, { long_text: 'chunk' }), /text pairs are truncated/);
    await assert.rejects(classifier('a', { stride: 8 }), /stride needs long_text: "chunk"/);
    await assert.rejects(classifier('a', { long_text: 'split' }), /long_text must be "truncate" or "chunk"/);
  } finally {
    await classifier.dispose();
  }
});

test('feature-extraction long_text "chunk": windows\' pooled vectors averaged by their text tokens', { skip: SKIP_REASON }, async (t) => {
  const extractor = await pipeline('embeddings', sharedPath('models', 'bert-mini-mlm'), { threads: 2 });
  try {
    const text = readFileSync(sharedPath('data', 'wikitext2', 'wiki.test.txt'), 'utf8').split('\n').filter((l) => l.length > 1000).slice(0, 3).join(' ');
    const windows = extractor.tokenizer.encode(text, null, { return_overflowing_tokens: true, stride: 32 });
    assert.ok(windows.length >= 2);
    const hidden = 256;
    const sum = new Float64Array(hidden);
    let weights = 0;
    for (const w of windows) {
      const state = extractor.model.forward({ input_ids: [w.input_ids] }).last_hidden_state.data;
      const n = w.input_ids.length;
      const weight = w.sequence_ids.filter((/** @type {any} */ s) => s === 0).length;
      for (let h = 0; h < hidden; h++) {
        let s = 0;
        for (let tk = 0; tk < n; tk++) s += state[tk * hidden + h];
        sum[h] += (s / n) * weight;
      }
      weights += weight;
    }
    const mean = Array.from(sum, (v) => v / weights);
    const norm = Math.hypot(...mean);
    const out = await extractor(text, { pooling: 'mean', normalize: true, long_text: 'chunk', stride: 32 });
    const diff = Math.max(...mean.map((v, h) => Math.abs(out.data[h] - v / norm)));
    t.diagnostic(`${out.metadata[0].tokens} tokens in ${windows.length} windows: max |embedding - hand computation| ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-6);
    assert.deepEqual(out.metadata, [{ tokens: extractor.tokenizer.encode(text).input_ids.length, max_length: 512, truncated: false, chunks: windows.length }]);
    const cut = await extractor(text, { pooling: 'mean' });
    assert.equal(cut.metadata[0].truncated, true);
    await assert.rejects(extractor(text, { long_text: 'chunk' }), /needs pooled embeddings/);
  } finally {
    await extractor.dispose();
  }
});

test('question-answering max_question_len: the question is cut to N tokens; the windows otherwise equal the engine\'s', { skip: SKIP_REASON }, async () => {
  const qa = await pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 2 });
  try {
    const squad = readSharedJson('data', 'squad', 'dev-v1.1.json');
    const context = squad.data[40].paragraphs.map((/** @type {any} */ p) => p.context).join(' ');
    const question = squad.data[40].paragraphs[0].qas[0].question;
    const settings = { max_length: 256, stride: 64 };
    // The JS windows (used when the question is cut) equal the engine's tokenizeWindows field by field.
    const engine = qa.model.tokenizeWindows(question, context, settings);
    const js = questionWindows(qa.model.tokenize(question, context, {}), { ...settings, max_question_len: 1000 });
    assert.ok(engine.length >= 3);
    assert.equal(js.length, engine.length);
    js.forEach((w, i) => {
      for (const key of ['ids', 'type_ids', 'attention_mask', 'offsets', 'codepoint_offsets', 'sequence_ids', 'word_ids', 'tokens']) {
        assert.deepEqual(Array.from(/** @type {any} */ (w)[key]), Array.from(/** @type {any} */ (engine[i])[key]), `window ${i} ${key}`);
      }
    });
    // A long question cut to 8 tokens: [CLS] + its first 8 tokens + [SEP] + context + [SEP].
    const longQuestion = `${question} ${'and what else happened then '.repeat(20)}`;
    const qTokens = qa.tokenizer.encode(longQuestion, null, { add_special_tokens: false }).input_ids;
    const windows = qa.windows({ question: longQuestion, context }, { max_seq_len: 256, doc_stride: 64, max_question_len: 8 });
    for (const w of windows) {
      assert.deepEqual(Array.from(w.ids.subarray(1, 9)), qTokens.slice(0, 8));
      assert.equal(w.sequence_ids[9], -1);
      assert.equal(w.ids.length <= 256, true);
    }
    const answer = await qa(longQuestion, context, { max_question_len: 8, max_seq_len: 256, doc_stride: 64 });
    assert.equal(typeof answer.answer, 'string');
    assert.equal(answer.metadata.truncated, true);
    assert.equal(answer.metadata.chunks, windows.length);
    await assert.rejects(qa(longQuestion, context, { max_seq_len: 64 }), /leaves no room for context/);
    await assert.rejects(qa(question, context, { max_question_len: 0 }), /max_question_len must be a positive integer/);
    const normal = await qa(question, context, { max_question_len: 64 });
    assert.deepEqual(normal, await qa(question, context));
    assert.equal(normal.metadata.truncated, false);
  } finally {
    await qa.dispose();
  }
});
