// Sources without a network: directories, in-memory files (ArrayBuffer, Uint8Array, Blob, Map),
// bad source types, runtime selection, and failed loads leaving wasm memory at its baseline.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BertologyError, BertologyModel, env, getRuntime } from '../../js/index.js';
import { loadIntoEngine, openModelFiles } from '../../js/files.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';
import { modelFileSizes } from './helpers/hf-server.js';

const skip = SKIP_REASON;
const TEXT = 'a great , moving film .';

/**
 * @param {Promise<unknown>} promise
 * @param {string} code
 * @param {RegExp[]} patterns
 */
async function assertFails(promise, code, patterns) {
  const err = await promise.then((m) => { /** @type {any} */ (m)?.dispose?.(); return null; }, (e) => e);
  assert.ok(err instanceof BertologyError, `expected a BertologyError, got ${err}`);
  assert.equal(err.code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

test('local: directory (path and file: URL) with progress events', { skip }, async () => {
  const dir = sharedPath('models', 'bert-mini-sst2');
  const events = [];
  const a = await BertologyModel.load(dir, { threads: 1, progress_callback: (e) => events.push(e) });
  const b = await BertologyModel.load(pathToFileURL(dir), { threads: 1 });
  assert.deepEqual(a.classify(TEXT), b.classify(TEXT));
  assert.equal(a.classify(TEXT)[0].label, 'POSITIVE');
  a.dispose();
  b.dispose();
  const sizes = modelFileSizes('shared', 'bert-mini-sst2');
  for (const [file, size] of sizes) {
    const mine = events.filter((e) => e.file === file);
    assert.deepEqual(mine.map((e) => e.status), ['initiate', 'download', 'progress', 'done'], file);
    assert.equal(mine[2].loaded, size);
    assert.equal(mine[2].total, size);
  }
  assert.deepEqual(events.at(-1), { status: 'ready', name: dir, model: dir });
});

test('local: missing directory, missing files are named', { skip }, async () => {
  const saved = env.allowRemoteModels;
  env.allowRemoteModels = false; // an "org/name"-like path must not reach the network here
  try {
    await assertFails(BertologyModel.load('/no/such/dir'), 'FILE_NOT_FOUND', [/\/no\/such\/dir/]);
    await assertFails(BertologyModel.load('no-such-org/no-such-model'), 'INVALID_ARGUMENT', [/allowRemoteModels/]);
  } finally {
    env.allowRemoteModels = saved;
  }
  const dir = mkdtempSync(join(tmpdir(), 'bertology-src-'));
  try {
    await assertFails(BertologyModel.load(dir), 'FILE_NOT_FOUND', [/config\.json/, new RegExp(dir)]);
    copyFileSync(sharedPath('models', 'bert-mini-sst2', 'config.json'), join(dir, 'config.json'));
    await assertFails(BertologyModel.load(dir), 'FILE_NOT_FOUND', [/model\.safetensors/, /index\.json/]);
    copyFileSync(sharedPath('models', 'bert-mini-sst2', 'model.safetensors.index.json'), join(dir, 'model.safetensors.index.json'));
    copyFileSync(sharedPath('models', 'bert-mini-sst2', 'model-00001-of-00002.safetensors'), join(dir, 'model-00001-of-00002.safetensors'));
    await assertFails(BertologyModel.load(dir), 'FILE_NOT_FOUND', [/model-00002-of-00002\.safetensors/]);
    writeFileSync(join(dir, 'model.safetensors.index.json'), '{"weight_map": {"a": "../../etc/passwd"}}');
    await assertFails(BertologyModel.load(dir), 'BAD_CHECKPOINT', [/not a plain file name/]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('local: in-memory ArrayBuffers, Uint8Arrays, Blobs, a Map; sharded', { skip }, async () => {
  const files = readModelFiles(sharedPath('models', 'bert-mini-sst2'));
  const want = (await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1 }));
  const expected = want.classify(TEXT);
  want.dispose();
  const asBuffers = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.slice().buffer]));
  const asBlobs = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, new Blob([v])]));
  for (const source of [asBuffers, files, new Map(Object.entries(files)), asBlobs]) {
    const events = [];
    const m = await BertologyModel.load(source, { threads: 1, progress_callback: (e) => events.push(e) });
    assert.deepEqual(m.classify(TEXT), expected);
    assert.equal(events.at(-1).status, 'ready');
    m.dispose();
  }
  const { 'model-00002-of-00002.safetensors': _, ...noShard } = files;
  await assertFails(BertologyModel.load(noShard), 'FILE_NOT_FOUND', [/model-00002-of-00002\.safetensors/, /in-memory/]);
});

test('local: bad source types', async () => {
  for (const bad of [42, null, undefined, ['config.json'], new Uint8Array(4), new ArrayBuffer(4), true, '']) {
    await assertFails(BertologyModel.load(/** @type {any} */ (bad)), 'INVALID_ARGUMENT', [/source/]);
  }
  await assertFails(BertologyModel.load(/** @type {any} */ ({ 'config.json': 42 })), 'INVALID_ARGUMENT', [/config\.json/]);
  await assertFails(BertologyModel.load('ftp://example.invalid/x/'), 'INVALID_ARGUMENT', [/protocol/]);
});

test('local: runtime selection (Node: threads available; 1 thread → single-threaded build)', async () => {
  const one = await getRuntime({ threads: 1 });
  const two = await getRuntime({ threads: 2 });
  assert.equal(one.variant, 'single');
  assert.equal(one.threads, 1);
  assert.equal(two.variant, 'threads');
  assert.equal(two.threads, 2);
  assert.equal(two.crossOriginIsolated, true);
  assert.equal(two.fallback, null);
  assert.ok(one.memory().heapBytes > 0);
});

/** A FileEntry-wrapping ModelFiles whose reads fail after `limit` bytes (a disk error mid-load). */
function failingAfter(/** @type {import('../../js/sources/common.js').ModelFiles} */ files, /** @type {number} */ limit) {
  let total = 0;
  const wrapped = new Map();
  for (const [name, entry] of files.files) {
    wrapped.set(name, {
      size: entry.size,
      read: (/** @type {number} */ o, /** @type {number} */ n, /** @type {Uint8Array} */ v) => {
        total += n;
        if (total > limit) throw new Error('simulated I/O error');
        return entry.read(o, n, v);
      },
    });
  }
  return { ...files, files: wrapped };
}

for (const threads of [1, 2]) {
  test(`local: failed loads give back every wasm byte (${threads} thread(s))`, { skip }, async () => {
    const dir = sharedPath('models', 'bert-mini-sst2');
    const files = readModelFiles(dir);
    // warm up: the heap grows to what one load needs, then stays (wasm memory never shrinks)
    const warm = await BertologyModel.load(files, { threads });
    const runtime = warm.runtime;
    warm.dispose();
    // The allocator's in-use bytes (mallinfo): a leak-free failure gives every byte back. (The heap
    // size itself may grow: a failed load can need a differently fragmented heap; that is no leak.)
    const inUse = () => JSON.parse(runtime.module.heapStats()).in_use_bytes;
    const baseline = inUse();
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    const badConfig = JSON.stringify({ ...config, num_hidden_layers: config.num_hidden_layers + 1 });
    for (let i = 0; i < 4; i++) {
      // fails late: after the embeddings and the 4 real layers are packed, the 5th layer is missing
      await assertFails(BertologyModel.load({ ...files, 'config.json': badConfig }, { threads }), 'BAD_CHECKPOINT', [/layer\.4|layer 4/]);
      // fails while streaming a shard
      const opened = await openModelFiles(dir);
      assert.throws(() => loadIntoEngine(runtime, failingAfter(opened, 20 << 20)),
        (e) => e instanceof BertologyError && e.code === 'FILE_READ' && /simulated I\/O error/.test(e.message) && /model-0000\d-of/.test(e.message));
      opened.close();
      assert.equal(inUse(), baseline, `wasm bytes in use changed after failed load #${i + 1}`);
    }
    const again = await BertologyModel.load(files, { threads });
    assert.equal(again.classify(TEXT)[0].label, 'POSITIVE');
    again.dispose();
    assert.equal(inUse(), baseline, 'wasm bytes in use after a successful load, a call and dispose');
  });
}

test('load options: unknown ones are rejected before anything is read, dtype is fp32 or q8', async () => {
  // a URL on a closed port: a NETWORK error would mean the options were not checked first
  const nowhere = 'http://127.0.0.1:9/model/';
  await assertFails(BertologyModel.load(nowhere, { treads: 2 }), 'INVALID_ARGUMENT',
    [/BertologyModel\.load: unknown option "treads"/, /known: threads, dtype/]);
  await assertFails(BertologyModel.load(nowhere, { device: 'webgpu' }), 'INVALID_ARGUMENT', [/"device"/, /WebAssembly/]);
  await assertFails(BertologyModel.load(nowhere, { quantized: true }), 'INVALID_ARGUMENT', [/"quantized"/, /dtype: 'q8'/]);
  for (const dtype of ['fp16', 'int8', 'q4', '', 8]) {
    await assertFails(BertologyModel.load(nowhere, { dtype: /** @type {any} */ (dtype) }), 'INVALID_ARGUMENT',
      [/dtype must be one of 'fp32', 'q8'/]);
  }
  await assertFails(BertologyModel.load(nowhere, /** @type {any} */ ([1])), 'INVALID_ARGUMENT', [/options must be an object/]);
  const { pipeline } = await import('../../js/index.js');
  await assertFails(pipeline('sentiment-analysis', nowhere, { topk: 2 }), 'INVALID_ARGUMENT',
    [/pipeline\("sentiment-analysis"\): unknown option "topk"/, /top_k/, /threads/]);
  // known options pass the check (and then the network fails)
  await assertFails(BertologyModel.load(nowhere, { threads: 1, dtype: 'q8', revision: 'main', cache: false }), 'NETWORK', [/127\.0\.0\.1:9/]);
  await assertFails(pipeline('sentiment-analysis', nowhere, { top_k: 2, threads: 1, batch_size: 4 }), 'NETWORK', [/127\.0\.0\.1:9/]);
});

test('load options: a loaded model with each dtype', { skip }, async () => {
  for (const dtype of /** @type {const} */ (['fp32', 'q8'])) {
    const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 1, dtype });
    assert.equal(model.classify(TEXT)[0].label, 'POSITIVE');
    model.dispose();
  }
});

test('Node: a relative folder without "./" is a folder; a missing one says it was taken as a hub id', { skip }, async () => {
  const cwd = process.cwd();
  const dir = mkdtempSync(join(tmpdir(), 'bertology-cwd-'));
  try {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'models', 'sst2'), { recursive: true });
    for (const f of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors', 'tokenizer.json', 'tokenizer_config.json']) {
      copyFileSync(sharedPath('models', 'bert-mini-sst2', f), join(dir, 'models', 'sst2', f));
    }
    process.chdir(dir);
    const model = await BertologyModel.load('models/sst2', { threads: 1 });   // "org/name"-shaped, but a folder here
    assert.equal(model.classify(TEXT)[0].label, 'POSITIVE');
    model.dispose();
    // not a folder here: a hub id, and the error says so (the hub stand-in is a closed port)
    const e = await assertFails(BertologyModel.load('models/nope', { threads: 1, host: 'http://127.0.0.1:9/' }), 'NETWORK',
      [/models\/nope: taken as a Hugging Face model id because no folder .*models\/nope exists/, /127\.0\.0\.1:9/]);
    assert.match(String(e.url), /^http:\/\/127\.0\.0\.1:9\/models\/nope\/resolve\/main\//);
    await assertFails(BertologyModel.load('models/nope', { threads: 1, local_files_only: true }), 'FILE_NOT_FOUND',
      [/no folder .*models\/nope exists/, /local_files_only/]);
    await assertFails(BertologyModel.load('models/deeper/nope', { threads: 1 }), 'FILE_NOT_FOUND',
      [/model directory not found: models\/deeper\/nope/]);
  } finally {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('model.runtime prints a short summary (console.log, util.inspect, JSON, String)', { skip }, async () => {
  const { inspect } = await import('node:util');
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads: 2 });
  try {
    const { runtime } = model;
    const shown = inspect(runtime);
    assert.ok(shown.length < 300, shown);
    assert.match(shown, /^Runtime \{/);
    assert.doesNotMatch(shown, /HEAP|wasmMemory|Module/);
    assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(runtime))).sort(),
      ['build', 'crossOriginIsolated', 'fallback', 'requestedThreads', 'threads', 'variant']);
    assert.equal(String(runtime), 'bertology threads build, 2 threads');
    assert.ok(runtime.module.HEAPU8 instanceof Uint8Array, 'the module is still there');
    assert.ok(!Object.keys(runtime).includes('module'));
  } finally {
    model.dispose();
  }
});
