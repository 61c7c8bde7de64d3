// Hostile inputs through the public API (issue 20): lone UTF-16 surrogates, rounded/overflowing ids,
// bad options, per-call limits (texts, characters, question-answering windows), progress and
// yielding of long calls, dispose during a call, load/dispose cycles. After every case the witness
// pipelines (tests/js/helpers/hostile.js) give bitwise the same outputs and the wasm heap in use is
// back at its baseline. Oracle for the text cases: Hugging Face's tokenizers through
// @anush008/tokenizers (a native build of the Rust library) on the text with each lone surrogate
// replaced by U+FFFD — what Node's N-API string conversion hands it — with expectations recorded
// from it below, and compared live when the package is installed.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BertologyModel, createWorkerClient, env, pipeline } from '../../js/index.js';
import { codePointToUtf16 } from '../../js/offsets.js';
import { CALL_LIMITS } from '../../js/limits.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { failure, loadWitnesses, withVictim } from './helpers/hostile.js';
import { copyModel, setLabels, tempModels } from './helpers/model-copies.js';

/** @type {any} */
let oracle = null;
try {
  oracle = createRequire(import.meta.url)('@anush008/tokenizers');
} catch { /* optional: the recorded expectations still run */ }

/** @type {Awaited<ReturnType<typeof loadWitnesses>>} */
let h;
before(async () => {
  if (SKIP_REASON) return;
  h = await loadWitnesses();
});
after(async () => { await h?.dispose(); });

const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const fffd = (/** @type {string} */ s) => s.replace(LONE, '\uFFFD');

// Texts with lone surrogates: high, low, at either end, doubled, beside a real pair, inside words.
const SURROGATE_TEXTS = ['a\uD800b c', '\uDC00start here', 'the end\uD83D', 'x \uD800\uD800 y', 'ok \uD83D\uDE00 fine \uDE00 go',
  'caf\u00E9\uD800 au lait', 'The cat sat on the \uD800[MASK].', '\uDBFF\uD83D\uDE00\uDFFF'];

// Recorded from @anush008/tokenizers 0.6.0 (tokenizers 0.22) with bert-mini's tokenizer.json on
// fffd(text): tokens and offsets (code points of that text; here equal to UTF-16 indices).
const RECORDED = [
  { text: 'a\uD800b c', tokens: ['[CLS]', 'ab', 'c', '[SEP]'], offsets: [[0, 0], [0, 3], [4, 5], [0, 0]] },
  {
    text: 'The cat sat on the \uD800[MASK].',
    tokens: ['[CLS]', 'the', 'cat', 'sat', 'on', 'the', '[MASK]', '.', '[SEP]'],
    offsets: [[0, 0], [0, 3], [4, 7], [8, 11], [12, 14], [15, 18], [20, 26], [26, 27], [0, 0]],
  },
];

test('hostile: lone surrogates tokenize as U+FFFD, offsets in the caller\'s UTF-16 indices (tokenizers oracle)', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, async (victim) => surrogateTokenize(victim.tokenizer));
  await h.check('surrogate tokenize');
});

/** @param {any} tok */
async function surrogateTokenize(tok) {
  for (const { text, tokens, offsets } of RECORDED) {
    const e = tok.encode(text);
    assert.deepEqual(e.tokens, tokens, JSON.stringify(text));
    assert.deepEqual(e.offsets, offsets, JSON.stringify(text));
  }
  for (const text of SURROGATE_TEXTS) {
    const e = tok.encode(text);
    // the same encoding as the well-formed text, and every offset is a valid index into `text`
    assert.deepEqual(e, tok.encode(fffd(text)), JSON.stringify(text));
    for (const [s, t] of e.offsets) assert.ok(s >= 0 && s <= t && t <= text.length, JSON.stringify({ text, s, t }));
  }
  if (oracle) {
    const ref = oracle.Tokenizer.fromFile(sharedPath('models', 'bert-mini-sst2', 'tokenizer.json'));
    for (const text of SURROGATE_TEXTS) {
      const r = await ref.encode(fffd(text));
      const map = codePointToUtf16(fffd(text));
      const want = r.getOffsets().map((/** @type {number[]} */ o) => (map ? [map[o[0]], map[o[1]]] : o));
      const e = tok.encode(text);
      assert.deepEqual(e.input_ids, Array.from(r.getIds()), `oracle ids ${JSON.stringify(text)}`);
      assert.deepEqual(e.offsets, want, `oracle offsets ${JSON.stringify(text)}`);
    }
  }
  // token lookups with a lone surrogate: no match, no crash
  assert.equal(tok.model.tokenToId('\uD800'), -1);
}

test('hostile: lone surrogates through pipelines (QA, fill-mask, NER, explanations) give the clean text\'s answers', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, (sst2) => withVictim('ner', 'bert-mini-conll03', { dtype: 'q8' },
    (ner) => withVictim('question-answering', 'bert-mini-squad', {}, (qa) => surrogatePipelines(sst2, ner, qa))));
  await h.check('surrogate pipelines');
});

/** @param {any} sst2 @param {any} ner @param {any} qa */
async function surrogatePipelines(sst2, ner, qa) {
  // QA: before, the engine swallowed the character after the surrogate and answered ' 1889 by Gustav'.
  const clean = 'The Eiffel Tower was completed in 1889 by Gustave Eiffel\'s company.';
  const at = clean.indexOf('completed');
  const dirty = `${clean.slice(0, at)}\uD800${clean.slice(at)}`;
  const a = await qa('When was the tower completed?', clean);
  const b = await qa('When was the tower completed?', dirty);
  assert.equal(b.answer, a.answer);
  assert.equal(b.score, a.score, 'U+FFFD is removed by BERT\'s normalizer: same tokens, same logits');
  assert.equal(dirty.slice(b.start, b.end), b.answer);
  assert.equal(b.start, a.start + 1);

  // fill-mask: the mask after a lone surrogate is found and scored as without it
  const mlm = await pipeline('fill-mask', sharedPath('models', 'bert-mini-mlm'), { threads: 1 });
  try {
    assert.deepEqual(await mlm('The cat sat on the \uD800[MASK].'), await mlm('The cat sat on the [MASK].'));
  } finally {
    await mlm.dispose();
  }

  // NER: same entities; offsets index the caller's string
  const text = 'John\uDC00 Smith flew from Paris to Berlin.';
  const got = await ner(text, { aggregation_strategy: 'simple' });
  const want = await ner(text.replace('\uDC00', ''), { aggregation_strategy: 'simple' });
  assert.deepEqual(got.map((/** @type {any} */ x) => [x.entity_group, x.score]), want.map((/** @type {any} */ x) => [x.entity_group, x.score]));
  for (const x of got) assert.equal(fffd(text.slice(x.start, x.end)).replace('\uFFFD', '').toLowerCase().replace(/\s+/g, ' '), x.word.toLowerCase());

  // explanations: token offsets are indices into the caller's text
  const ex = await sst2.explain('a \uD800 great \uDE00film', { method: 'grad_x_input' });
  for (const t of ex.tokens) {
    if (t.start === t.end) continue;
    assert.equal(fffd('a \uD800 great \uDE00film').slice(t.start, t.end).replace('\uFFFD', '').toLowerCase(), t.token.replace(/^##/, ''));
  }
}

test('hostile: invalid UTF-8 bytes are an error, not a guess', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, async (victim) => {
    const err = await failure(() => victim.model.tokenize(new Uint8Array([0x61, 0xff, 0x62])));
    assert.match(err.message, /UTF-8/i);
  });
  await h.check('invalid utf-8');
});

test('hostile: token ids must be integers in the vocabulary and int32, with the value in the message', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, integerIds);
  await h.check('ids');
});

/** @param {any} sst2 */
async function integerIds(sst2) {
  const model = sst2.model;
  const vocab = model.info.vocab_size;
  /** @type {[any, RegExp, unknown][]} */
  const cases = [
    [{ input_ids: [[101, 2023.7, 102]] }, /input_ids\[0\]\[1\] = 2023\.7 is not an integer/, 2023.7],
    [{ input_ids: [[101, NaN, 102]] }, /input_ids\[0\]\[1\] = NaN is not an integer/, NaN],
    [{ input_ids: [[101, 1e12, 102]] }, new RegExp(`input_ids\\[0\\]\\[1\\] = 1000000000000 is outside the vocabulary \\[0, ${vocab}\\)`), 1e12],
    [{ input_ids: [[101, -1, 102]] }, /= -1 is outside the vocabulary/, -1],
    [{ input_ids: [[101, vocab, 102]] }, new RegExp(`= ${vocab} is outside the vocabulary`), vocab],
    [{ input_ids: [[101, Infinity, 102]] }, /= Infinity is not an integer/, Infinity],
    [{ input_ids: [[101, '2023', 102]] }, /= "2023" is not a number/, '2023'],
    [{ input_ids: { data: new BigInt64Array([101n, 2n ** 40n, 102n]), dims: [1, 3] } }, /= 1099511627776n is outside the vocabulary/, 2 ** 40],
    [{ input_ids: { data: new Float32Array([101, 7.5, 102]), dims: [1, 3] } }, /= 7\.5 is not an integer/, 7.5],
    [{ input_ids: [[101, 7, 102]], attention_mask: [[1, 2, 1]] }, /attention_mask\[0\]\[1\] = 2 is outside \{0, 1\}/, 2],
    [{ input_ids: [[101, 7, 102]], token_type_ids: [[0, 0, 9]] }, /token_type_ids\[0\]\[2\] = 9 is outside the token types/, 9],
    [{ input_ids: { data: [101, 7, 102], dims: [1.5, 2] } }, /dims must be non-negative integers/, undefined],
  ];
  for (const [inputs, pattern, value] of cases) {
    const e1 = await failure(() => model.forward(inputs));
    assert.equal(e1.code, 'INVALID_ARGUMENT');
    assert.match(e1.message, pattern);
    if (value !== undefined) assert.ok(Object.is(e1.value, value), `${e1.message}: value ${e1.value}`);
    const e2 = await failure(sst2(inputs));  // the pipeline's token-id input takes the same path
    assert.match(e2.message, pattern);
  }
  assert.match((await failure(() => sst2.tokenizer.decode([101, 1.5]))).message, /ids\[1\] = 1\.5 is not an integer token id/);
  assert.match((await failure(() => model.decode([2 ** 31]))).message, /2147483648 is not an integer token id/);
  assert.match((await failure(() => model.idToToken(NaN))).message, /NaN is not an integer token id/);
  assert.match((await failure(() => sst2.tokenizer.convert_ids_to_tokens([1e12]))).message, /1000000000000/);
}

test('hostile: bad options and limits are INVALID_ARGUMENT errors naming the option', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, (sst2) => withVictim('question-answering', 'bert-mini-squad', {},
    (qa) => badOptions(sst2, qa)));
  await h.check('options');
});

/** @param {any} sst2 @param {any} qa */
async function badOptions(sst2, qa) {
  /** @type {[Promise<any> | (() => any), RegExp][]} */
  const cases = [
    [sst2('x', { batch_size: 0 }), /batch_size must be a positive integer/],
    [sst2('x', { top_k: NaN }), /top_k/],
    [sst2('x', { progress_callback: 'yes' }), /progress_callback must be a function/],
    [sst2('x', { nonsense: 1 }), /unknown option "nonsense"/],
    [qa('q', 'c', { max_seq_len: 8, doc_stride: 8 }), /doc_stride/],
    [() => sst2.tokenizer.encode('x', { max_length: -1 }), /max_length must be a positive integer/],
    [() => sst2.tokenizer.encode('x y z', { max_length: 4, stride: 2, return_overflowing_tokens: true }), /stride must be in/],
    [BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { limits: { max_texts: -1 } }), /limits\.max_texts must be a positive integer, got -1/],
    [BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { limits: { max_chars: 1.5 } }), /limits\.max_chars must be a positive integer/],
    [BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { limits: { max_bogus: 1 } }), /unknown limit "max_bogus"/],
    [BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { validate_weights: 'yes' }), /validate_weights must be a boolean/],
    [pipeline('ner', sharedPath('models', 'bert-mini-conll03'), { limits: { max_windows: 0 } }), /limits\.max_windows must be a positive integer/],
    [BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { limits: { max_pairs: 2.5 } }), /limits\.max_pairs must be a positive integer/],
  ];
  for (const [work, pattern] of cases) {
    const err = await failure(work);
    assert.equal(err.code, 'INVALID_ARGUMENT', err.message);
    assert.match(err.message, pattern);
  }
}

test('hostile: limits on texts per call and characters per text name the limit and how to raise it', { skip: SKIP_REASON }, async () => {
  await withVictim('text-classification', 'bert-mini-sst2', {}, (sst2) => withVictim('question-answering', 'bert-mini-squad', {},
    (qa) => textLimits(sst2, qa)));
  await h.check('text limits');
});

/** @param {any} sst2 @param {any} qa */
async function textLimits(sst2, qa) {
  assert.deepEqual({ ...sst2.model.limits }, { ...CALL_LIMITS });
  const many = Array.from({ length: CALL_LIMITS.max_texts + 1 }, (_, i) => `text ${i}`);
  for (const work of [sst2(many), () => sst2.model.classify(many), () => sst2.model.forward(many),
    qa(many.map((q) => ({ question: q, context: 'some context' })))]) {
    const err = await failure(work);
    assert.equal(err.code, 'LIMIT');
    assert.equal(err.limit, 'max_texts');
    assert.equal(err.value, many.length);
    assert.equal(err.max, CALL_LIMITS.max_texts);
    assert.match(err.message, /limits\.max_texts = 1024; raise it with the load option \{limits: \{max_texts: 1025\}\}/);
  }
  const huge = 'word '.repeat((CALL_LIMITS.max_chars / 5) + 1);
  for (const work of [sst2(huge), qa('what?', huge), () => sst2.tokenizer.encode(huge), sst2.explain(huge)]) {
    const err = await failure(work);
    assert.equal(err.code, 'LIMIT');
    assert.equal(err.limit, 'max_chars');
    assert.equal(err.value, huge.length);
    assert.match(err.message, /exceeds limits\.max_chars = 1048576; raise it with the load option \{limits: \{max_chars: /);
  }
  // raised / lowered per model
  const small = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads: 1, limits: { max_texts: 3, max_chars: 12 } });
  try {
    assert.equal((await small(['a', 'b', 'c'])).length, 3);
    assert.equal((await failure(small(['a', 'b', 'c', 'd']))).limit, 'max_texts');
    assert.equal((await small('twelve chars'))[0].label.length > 0, true);
    assert.equal((await failure(small('thirteen char'))).limit, 'max_chars');
  } finally {
    await small.dispose();
  }
}

test('hostile: a 1 MB question-answering context stops at limits.max_windows before any forward pass', { skip: SKIP_REASON }, async (t) => {
  await withVictim('question-answering', 'bert-mini-squad', {}, (qa) => qaMegabyte(qa, t));
  await h.check('QA 1 MB');
});

/** @param {any} qa @param {any} t */
async function qaMegabyte(qa, t) {
  const paragraph = 'The Eiffel Tower is a wrought-iron lattice tower on the Champ de Mars in Paris, France. ';
  const context = paragraph.repeat(Math.ceil((1 << 20) / paragraph.length)).slice(0, 1_000_000);
  const started = performance.now();
  const err = await failure(qa('Where is the tower?', context));
  t.diagnostic(`1 MB context rejected in ${(performance.now() - started).toFixed(0)} ms: ${err.message}`);
  assert.equal(err.code, 'LIMIT');
  assert.equal(err.limit, 'max_windows');
  assert.equal(err.max, CALL_LIMITS.max_windows);
  assert.ok(err.value > 900, `windows needed: ${err.value}`);
  assert.match(err.message, /the context needs \d+ windows of 384 tokens \(doc_stride 128\) exceeds limits\.max_windows = 64; raise it with the load option \{limits: \{max_windows: \d+\}\} .* or the call option \{max_windows: \d+\}/);
}

test('hostile: long QA and NER calls report progress and yield to the event loop; max_windows per call', { skip: SKIP_REASON }, async () => {
  await withVictim('ner', 'bert-mini-conll03', {}, (ner) => withVictim('question-answering', 'bert-mini-squad', {},
    (qa) => progressAndYields(ner, qa)));
  await h.check('progress');
});

/** @param {any} ner @param {any} qa */
async function progressAndYields(ner, qa) {
  const saved = env.yieldInterval;
  env.yieldInterval = 0;  // yield after every forward pass (deterministic; the default is 50 ms)
  try {
    const context = 'Marie Curie worked in Paris. She studied radioactivity with Pierre Curie. '.repeat(30);
    const settings = { max_seq_len: 64, doc_stride: 16, batch_size: 4 };
    const needed = (await failure(qa('Where did Marie Curie work?', context, { ...settings, max_windows: 2 }))).value;
    assert.ok(needed > 8, `windows: ${needed}`);
    /** @type {any[]} */
    const events = [];
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    let answer;
    try {
      answer = await qa('Where did Marie Curie work?', context, { ...settings, max_windows: needed, progress_callback: (/** @type {any} */ e) => events.push({ ...e, ticks }) });
    } finally {
      clearInterval(timer);
    }
    assert.match(answer.answer, /Paris/);
    assert.deepEqual(events.map((e) => e.done), Array.from({ length: Math.ceil(needed / 4) }, (_, i) => Math.min(needed, 4 * (i + 1))));
    assert.ok(events.every((e) => e.status === 'inference' && e.task === 'question-answering' && e.unit === 'windows' && e.total === needed));
    assert.ok(events.at(-1).ticks > 0, 'a timer ran while the call was in progress');

    const texts = Array.from({ length: 10 }, (_, i) => `Angela Merkel met Emmanuel Macron in Berlin on day ${i}.`);
    /** @type {any[]} */
    const nerEvents = [];
    const entities = await ner(texts, { batch_size: 3, progress_callback: (/** @type {any} */ e) => nerEvents.push(e) });
    assert.equal(entities.length, 10);
    assert.deepEqual(nerEvents.map((e) => e.done), [3, 6, 9, 10]);
    assert.ok(nerEvents.every((e) => e.task === 'token-classification' && e.unit === 'texts' && e.total === 10));
  } finally {
    env.yieldInterval = saved;
  }
}

test('hostile: zero-shot bounds texts × labels by limits.max_pairs, reports progress per batch of pairs and yields', { skip: SKIP_REASON }, async () => {
  // Before: the labels × texts loop ran every pair in one synchronous stretch, with no bound and no progress.
  const tmp = tempModels('bertology-hostile-');
  try {
    const dir = copyModel(sharedPath('models', 'bert-mini-sst2'), join(tmp.root, 'mini-nli'), (c) => setLabels(c, ['contradiction', 'entailment']));
    const zs = await pipeline('zero-shot-classification', dir, { threads: 1, limits: { max_texts: 3 } });
    try {
      await zeroShotBounds(zs);
    } finally {
      await zs.dispose();
    }
  } finally {
    tmp.cleanup();
  }
  await h.check('zero-shot');
});

/** @param {any} zs a zero-shot pipeline over bert-mini relabelled as NLI, loaded with limits.max_texts 3 */
async function zeroShotBounds(zs) {
  let forwards = 0;
  const forward = zs.model.forwardEncodings.bind(zs.model);
  zs.model.forwardEncodings = (/** @type {any[]} */ ...args) => { forwards++; return forward(...args); };
  // texts × labels over the bound: refused before any forward pass, positional or in the options.
  const texts = ['one', 'two', 'three'];
  const labels = Array.from({ length: 1366 }, (_, i) => `label ${i}`);  // 3 × 1366 = 4098 > 4096
  for (const work of [zs(texts, labels), zs(texts, { candidate_labels: labels })]) {
    const err = await failure(work);
    assert.equal(err.code, 'LIMIT');
    assert.equal(err.limit, 'max_pairs');
    assert.equal(err.value, 4098);
    assert.equal(err.max, CALL_LIMITS.max_pairs);
    assert.match(err.message, /^zero-shot-classification: 3 texts × 1366 labels = 4098 pairs exceeds limits\.max_pairs = 4096; raise it with the load option \{limits: \{max_pairs: 4098\}\} \(BertologyModel\.load \/ pipeline\) or the call option \{max_pairs: 4098\}, or split the texts or labels over several calls$/);
  }
  let err = await failure(zs('one text', ['a', 'b', 'c'], { max_pairs: 2 }));
  assert.deepEqual([err.code, err.limit, err.value, err.max], ['LIMIT', 'max_pairs', 3, 2]);
  assert.match(err.message, /1 text × 3 labels = 3 pairs exceeds limits\.max_pairs = 2/);
  assert.match((await failure(zs('x', ['a'], { max_pairs: 0 }))).message, /max_pairs must be a positive integer/);
  assert.equal(forwards, 0, 'no forward pass before the bound is checked');
  // limits.max_texts counts the texts, not the labels (those are bounded with the texts by max_pairs).
  assert.equal((await zs('one text', ['a', 'b', 'c', 'd'])).labels.length, 4);
  err = await failure(zs(['a', 'b', 'c', 'd'], ['x']));
  assert.equal(err.limit, 'max_texts');

  // Progress per batch of pairs, and yields (a timer runs while the call is in progress).
  const saved = env.yieldInterval;
  env.yieldInterval = 0;  // yield after every forward pass (deterministic; the default is 50 ms)
  try {
    const some = ['I loved this film.', 'The soup was cold.', 'Stocks fell.'];
    const topics = ['cinema', 'food', 'finance', 'sports', 'weather'];
    const plain = await zs(some, topics, { batch_size: 4 });
    /** @type {any[]} */
    const events = [];
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 0);
    let got;
    try {
      got = await zs(some, topics, { batch_size: 4, progress_callback: (/** @type {any} */ e) => events.push({ ...e, ticks }) });
    } finally {
      clearInterval(timer);
    }
    assert.deepEqual(got, plain, 'progress does not change the results');
    assert.deepEqual(events.map((e) => e.done), [4, 8, 12, 15]);
    assert.ok(events.every((e) => e.status === 'inference' && e.task === 'zero-shot-classification' && e.unit === 'pairs' && e.total === 15));
    assert.ok(events.at(-1).ticks > 0, 'a timer ran while the call was in progress');
    // Disposed from its own progress callback: the call stops with DISPOSED (the heap check follows).
    zs.model.forwardEncodings = forward;
    let disposed = false;
    err = await failure(zs(some, topics, { batch_size: 4, progress_callback: () => { if (!disposed) { disposed = true; zs.dispose(); } } }));
    assert.equal(err.code, 'DISPOSED');
  } finally {
    env.yieldInterval = saved;
  }
}

test('hostile: dispose during a long call rejects it with DISPOSED and frees everything', { skip: SKIP_REASON }, async () => {
  const saved = env.yieldInterval;
  env.yieldInterval = 0;
  try {
    const qa = await pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 1 });
    const context = 'Marie Curie worked in Paris. She studied radioactivity with Pierre Curie. '.repeat(30);
    let disposed = false;
    const err = await failure(qa('Where?', context, {
      max_seq_len: 64, doc_stride: 16, batch_size: 2, max_windows: 100,
      progress_callback: () => { if (!disposed) { disposed = true; qa.dispose(); } },
    }));
    assert.equal(err.code, 'DISPOSED');
    assert.ok(disposed);
    assert.equal((await failure(qa('Where?', 'In Paris.'))).code, 'DISPOSED');
  } finally {
    env.yieldInterval = saved;
  }
  await h.check('dispose during a call');
});

test('hostile: 20 load → call → dispose cycles leave the heap at its baseline', { skip: SKIP_REASON }, async () => {
  for (let i = 0; i < 20; i++) {
    const m = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1, dtype: i % 2 ? 'q8' : 'fp32' });
    m.classify(['one', 'two three']);
    m.dispose();
  }
  await h.check('load/dispose cycles');
});

test('hostile: the worker sanitises texts, keeps error fields and forwards progress', { skip: SKIP_REASON }, async () => {
  const client = createWorkerClient(new Worker(new URL('../../js/worker.js', import.meta.url)));
  try {
    const remote = await client.pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 1 });
    const context = 'The Eiffel Tower was \uD800completed in 1889 by Gustave Eiffel\'s company.';
    const local = await withVictim('question-answering', 'bert-mini-squad', {}, (qa) => qa('When was the tower completed?', context));
    assert.deepEqual(await remote('When was the tower completed?', context), local);
    const err = await failure(remote('Where?', 'Paris. '.repeat(2000), { max_windows: 1 }));
    assert.equal(err.code, 'LIMIT');
    assert.equal(err.limit, 'max_windows');
    assert.equal(err.max, 1);
    assert.ok(err.value > 1);
    /** @type {any[]} */
    const events = [];
    const answer = await remote('Where did she work?', 'Marie Curie worked in Paris. '.repeat(60),
      { max_seq_len: 64, doc_stride: 16, batch_size: 4, progress_callback: (/** @type {any} */ e) => events.push(e) });
    assert.match(answer.answer, /Paris/);
    assert.ok(events.length >= 2 && events.at(-1).done === events.at(-1).total, JSON.stringify(events));
    await remote.dispose();
  } finally {
    await client.terminate();
  }
  await h.check('worker');
});
