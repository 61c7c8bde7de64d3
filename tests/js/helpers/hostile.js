// The "instance still exact" harness of the hostile-input suites (tests/js/hostile*.test.mjs), in
// the spirit of the fuzz regressions: a few witness pipelines are loaded on one runtime and run once
// on fixed inputs; after every hostile case they must give bitwise the same outputs and the wasm
// heap's in-use bytes must be back at their baseline. Hostile inputs go to victim pipelines that a
// case loads and disposes (`withVictim`): a model keeps buffers that grow to its largest call (and
// an explanation's backward weights), so only a disposed victim can show that nothing leaked.

import assert from 'node:assert/strict';
import { BertologyError, pipeline } from '../../../js/index.js';
import { sharedPath } from './shared.js';

/**
 * @typedef {object} Witness
 * @property {string} name
 * @property {any} pipe
 * @property {() => Promise<any>} run
 * @property {string} [expected] JSON of the first run (numbers round-trip exactly)
 */

/**
 * Loads the witnesses (bert-mini SST-2 fp32 from fp16 shards, CoNLL-03 NER as q8, SQuAD QA), runs
 * each twice (the second run warms every buffer that grows), and records outputs and the heap.
 * @returns {Promise<{witnesses: Witness[], heap: () => number, baseline: number, check: (label: string) => Promise<void>,
 *   rebaseline: () => void, dispose: () => Promise<void>}>}
 */
export async function loadWitnesses() {
  const sst2 = await pipeline('text-classification', sharedPath('models', 'bert-mini-sst2'), { threads: 1 });
  const ner = await pipeline('ner', sharedPath('models', 'bert-mini-conll03'), { threads: 1, dtype: 'q8' });
  const qa = await pipeline('question-answering', sharedPath('models', 'bert-mini-squad'), { threads: 1 });
  /** @type {Witness[]} */
  const witnesses = [
    { name: 'sst2', pipe: sst2, run: () => sst2(['a gripping, beautifully acted film', 'dull and far too long'], { top_k: 2 }) },
    { name: 'ner q8', pipe: ner, run: () => ner('John Smith flew from Paris to Berlin with Lufthansa.') },
    {
      name: 'qa', pipe: qa,
      run: () => qa('Where did Marie Curie work?', 'Marie Curie worked in Paris at the Sorbonne, where she studied radioactivity.'),
    },
  ];
  for (const w of witnesses) await w.run();
  for (const w of witnesses) w.expected = JSON.stringify(await w.run());
  // The runtime's one-time allocations (first use of each task, tokenizer tables, the explainer's
  // classes) happen in a victim cycle before the baseline is taken.
  for (const [task, model] of [['text-classification', 'bert-mini-sst2'], ['ner', 'bert-mini-conll03'],
    ['question-answering', 'bert-mini-squad'], ['fill-mask', 'bert-mini-mlm'], ['text-classification', 'bert-mini-sst2']]) {
    await withVictim(task, model, {}, async (pipe) => {
      if (task === 'question-answering') await pipe('Who?', 'Marie \uD800Curie.');
      else await pipe(task === 'fill-mask' ? 'a [MASK] \uDC00 film' : 'caf\u00E9 \uD83D\uDE00 \uDBFF\uDFFF a\uD800b film');
      if (task === 'text-classification') await pipe.explain('a great film', { method: 'grad_x_input' });
    });
  }
  // Each model's working memory is its own arena (src/core/arena.h), so disposing a victim never
  // touches the witnesses'; they run once more so that the baseline is taken with every arena at its
  // steady size, and check() compares after the witnesses have run.
  for (const w of witnesses) await w.run();
  const heap = () => sst2.model.memoryUsage().heap_in_use;
  const state = { baseline: heap() };
  return {
    witnesses,
    heap,
    get baseline() { return state.baseline; },
    /** The witnesses are bitwise unchanged and the heap is back at its baseline. */
    async check(label) {
      for (const w of witnesses) {
        assert.equal(JSON.stringify(await w.run()), w.expected, `${label}: witness ${w.name} changed`);
      }
      assert.equal(heap(), state.baseline, `${label}: wasm heap in use ${heap()} bytes, baseline ${state.baseline}`);
    },
    rebaseline() { state.baseline = heap(); },
    async dispose() { for (const w of witnesses) await w.pipe.dispose(); },
  };
}

/**
 * Runs `fn` with a freshly loaded pipeline over a shared model, then disposes it (even on failure).
 * @template T
 * @param {string} task
 * @param {string} model a directory name under shared/models
 * @param {Record<string, any>} options load/pipeline options (threads 1 unless given)
 * @param {(pipe: any) => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withVictim(task, model, options, fn) {
  const pipe = await pipeline(task, sharedPath('models', model), { threads: 1, ...options });
  try {
    return await fn(pipe);
  } finally {
    await pipe.dispose();
  }
}

/**
 * Awaits `promise` (or calls `fn`) and returns the BertologyError it failed with; fails the test if
 * it succeeded or threw anything else.
 * @param {Promise<any> | (() => any)} work
 * @returns {Promise<BertologyError & Record<string, any>>}
 */
export async function failure(work) {
  let value;
  try {
    value = typeof work === 'function' ? await work() : await work;
  } catch (e) {
    assert.ok(e instanceof BertologyError, `expected a BertologyError, got ${/** @type {any} */ (e)?.stack ?? e}`);
    return /** @type {any} */ (e);
  }
  if (value && typeof value.dispose === 'function') await value.dispose();
  assert.fail(`expected a failure, got ${JSON.stringify(value)?.slice(0, 200)}`);
}
