// Progressive weights, the source side (issue 14, time to first result; js/sources/progressive.js):
// a remote weights file whose last data is the word-embedding table is handed out (a FileEntry with
// `deferred`) as soon as every byte before the table has arrived; table rows are served from the
// stream or fetched with HTTP Range requests. The server is a loopback server this test controls
// (tests/js/helpers/range-server.js): it holds a file's bytes back at an offset until released,
// ignores Range, answers ranges with errors, or cuts the connection — so every assertion is about what
// has been sent, never about time. The oracle for every byte: the file on disk (the shared published
// checkpoint, and its q8 conversion by `convertModel`).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../../js/index.js';
import { openModelFiles } from '../../js/sources/index.js';
import { ACCEPT_DEFERRED, PROGRESSIVE_TUNING } from '../../js/sources/common.js';
import { startRangeServer } from './helpers/range-server.js';
import { mergeShards } from './helpers/merge-shards.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const skip = SKIP_REASON;
const SHARD1 = 'model-00001-of-00002.safetensors';
const SHARD2 = 'model-00002-of-00002.safetensors';
const EMB = 'bert.embeddings.word_embeddings.weight';
/** Token ids of a short sentence ([CLS] a great , moving film . [SEP]) and a few far apart. */
const ROWS = [101, 1037, 2307, 1010, 3048, 2143, 1012, 102, 29000];

/** @type {string} */
let root;
/** @type {Awaited<ReturnType<typeof startRangeServer>>} */
let server;
/** @type {unknown[]} */
const unhandled = [];
const onUnhandled = (/** @type {unknown} */ e) => { unhandled.push(e); };

before(async () => {
  process.on('unhandledRejection', onUnhandled);
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'bertology-progressive-'));
  const fp16 = join(root, 'fp16');
  mkdirSync(fp16);
  for (const f of ['config.json', 'model.safetensors.index.json', SHARD1, SHARD2, 'tokenizer.json', 'tokenizer_config.json']) {
    symlinkSync(sharedPath('models', 'bert-mini-sst2', f), join(fp16, f));
  }
  await convertModel(sharedPath('models', 'bert-mini-sst2'), { dtype: 'q8', outDir: join(root, 'q8'), threads: 1 });
  mergeShards(sharedPath('models', 'bert-mini-sst2'), join(root, 'merged')); // sorted by name: the table is not last
  // HTML served as octet-stream where the weights should be: the single file (optional) and a shard (required)
  const page = '<!DOCTYPE html>\n<html><body>app</body></html>\n';
  for (const folder of ['html', 'html-shard']) {
    mkdirSync(join(root, folder));
    writeFileSync(join(root, folder, 'config.json'), readFileSync(sharedPath('models', 'bert-mini-sst2', 'config.json')));
  }
  writeFileSync(join(root, 'html', 'model.safetensors'), page);
  writeFileSync(join(root, 'html-shard', 'model.safetensors.index.json'), JSON.stringify({ weight_map: { [EMB]: 'model-00001-of-00001.safetensors' } }));
  writeFileSync(join(root, 'html-shard', 'model-00001-of-00001.safetensors'), page);
  server = await startRangeServer({ '/m/': root });
});

after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * @param {string} folder
 * @param {Record<string | symbol, any>} [options]
 * @param {import('../../js/sources/progressive.js').ProgressiveTuning} [tuning]
 */
function open(folder, options = {}, tuning = { soonBytes: 0 }) {
  return openModelFiles(`${server.url}/m/${folder}/`, { [ACCEPT_DEFERRED]: true, [PROGRESSIVE_TUNING]: tuning, ...options });
}

/** @param {string} folder @param {string} file */
const disk = (folder, file) => readFileSync(join(root, folder, file));

/**
 * The safetensors header of a file on disk: tensors and where data starts.
 * @param {Buffer} bytes
 */
function header(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  const h = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  delete h.__metadata__;
  return { tensors: /** @type {Record<string, {dtype: string, shape: number[], data_offsets: [number, number]}>} */ (h), base: 8 + n };
}

/**
 * Reads [a, b) through the entry; null when it cannot.
 * @param {import('../../js/sources/common.js').FileEntry} entry
 * @param {number} a @param {number} b
 */
function read(entry, a, b) {
  const view = new Uint8Array(b - a);
  return entry.read(a, b - a, view) === b - a ? Buffer.from(view) : null;
}

/** @param {import('../../js/sources/common.js').DeferredTensor} d @param {number[]} rows */
const rowRanges = (d, rows) => rows.map((r) => /** @type {[number, number]} */ ([d.begin + r * d.rowBytes, d.begin + (r + 1) * d.rowBytes]));

/** @param {string} file */
const rangeRequests = (file) => server.log.filter((l) => l.path.endsWith(`/${file}`) && l.range);

/** @param {Promise<unknown>} p */
function settled(p) {
  const state = { done: false, error: /** @type {unknown} */ (null) };
  p.then(() => { state.done = true; }, (e) => { state.done = true; state.error = e; });
  return state;
}

/** Lets pending I/O callbacks run (the loopback server answers within a few turns). */
const turns = async (n = 20) => { for (let i = 0; i < n; i++) await new Promise((ok) => setImmediate(ok)); };

/**
 * @param {Promise<unknown>} p
 * @param {string} code
 * @param {RegExp} [message]
 */
async function rejectsWith(p, code, message) {
  await assert.rejects(p, (/** @type {any} */ e) => {
    assert.equal(e.name, 'BertologyError', String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('the q8 conversion stores the word-embedding table last, its scale earlier', { skip }, () => {
  const { tensors } = header(disk('q8', 'model.safetensors'));
  const last = Math.max(...Object.values(tensors).map((t) => t.data_offsets[1]));
  assert.equal(tensors[EMB].dtype, 'I8');
  assert.equal(tensors[EMB].data_offsets[1], last, 'the table ends the file');
  for (const [name, t] of Object.entries(tensors)) {
    if (name !== EMB) assert.ok(t.data_offsets[1] <= tensors[EMB].data_offsets[0], `${name} before the table`);
  }
  assert.equal(tensors[`${EMB}_scale`].dtype, 'F32');
  // widest first still: every tensor aligned to its element size
  const { base } = header(disk('q8', 'model.safetensors'));
  const width = /** @type {Record<string, number>} */ ({ F32: 4, F16: 2, I8: 1, I64: 8 });
  for (const [name, t] of Object.entries(tensors)) assert.equal((base + t.data_offsets[0]) % width[t.dtype], 0, name);
});

test('q8: handed out before the table arrives; rows by Range; the rest streams; done and cache put at the end', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  const hold = server.hold('/m/q8/model.safetensors', begin + 4096);
  /** @type {string[]} */
  const events = [];
  /** @type {string[]} */
  const puts = [];
  const cache = {
    match: async () => undefined,
    put: async (/** @type {string} */ url, /** @type {Response} */ res) => {
      const body = Buffer.from(await res.arrayBuffer());
      puts.push(`${url.split('/').pop()} ${body.equals(disk('q8', /** @type {string} */ (url.split('/').pop())))}`);
    },
  };
  const files = await open('q8', { cache, progress_callback: (/** @type {any} */ e) => events.push(`${e.status} ${e.file}`) });
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get('model.safetensors'));
  const d = entry.deferred;
  assert.ok(d, 'a deferred entry');
  assert.equal(d.name, EMB);
  assert.equal(d.begin, begin);
  assert.equal(d.end, bytes.length);
  assert.equal(entry.size, bytes.length);
  assert.equal(d.rowBytes, tensors[EMB].shape[1]);
  await hold.reached;
  const served = server.log.find((l) => l.path === '/m/q8/model.safetensors' && !l.range);
  assert.equal(served?.sent, begin + 4096, 'the server still holds the rest of the table');
  // everything before the table is readable, the table's held-back rows are not
  assert.deepEqual(read(entry, 0, begin), bytes.subarray(0, begin));
  assert.equal(d.has(0, begin), true);
  for (let i = 0; i < 400 && !d.has(begin, begin + 4096); i++) await turns(5);
  assert.equal(d.has(begin, begin + 4096), true, 'the table bytes sent with the rest');
  assert.equal(d.has(bytes.length - 256, bytes.length), false);
  assert.equal(read(entry, bytes.length - 256, bytes.length), null, 'read returns -1 for bytes not here');
  assert.ok(!events.includes('done model.safetensors') && !puts.some((p) => p.startsWith('model.safetensors')));
  const complete = settled(d.complete);
  // rows by Range
  const ranges = rowRanges(d, ROWS);
  await d.ensure(ranges);
  for (const [a, b] of ranges) assert.deepEqual(read(entry, a, b), bytes.subarray(a, b));
  const requests = rangeRequests('model.safetensors');
  assert.ok(requests.length >= 1 && requests.every((l) => l.status === 206 && /^bytes=\d+-\d+$/.test(/** @type {string} */ (l.range))));
  assert.ok(requests.reduce((n, l) => n + l.sent, 0) < 64 * 1024, 'a few rows, not the table');
  assert.equal(complete.done, false);
  assert.ok(!events.includes('done model.safetensors'), 'no done before the stream completes');
  // the rest streams into the same buffer
  hold.release();
  await d.complete;
  assert.deepEqual(read(entry, 0, bytes.length), bytes);
  assert.equal(d.has(begin, bytes.length), true);
  await turns();
  assert.ok(events.includes('done model.safetensors'));
  assert.ok(puts.includes('model.safetensors true'), `cache puts: ${puts}`);
  const progress = events.filter((e) => e === 'progress model.safetensors');
  assert.ok(progress.length > 1);
  files.close();
});

test('sharded float16 as published: the table-only shard from a Range for its header, its body after the other shard', { skip }, async () => {
  server.reset();
  const bytes = disk('fp16', SHARD1);
  const { base } = header(bytes);
  const other = server.hold(`/m/fp16/${SHARD2}`, 1 << 20);
  const held = server.hold(`/m/fp16/${SHARD1}`, 65536 + 4096); // the table shard's body, once asked for
  const opening = open('fp16');
  const state = settled(opening);
  await other.reached;
  await turns();
  // while the other shard downloads: only the table shard's first 64 KiB were asked for
  assert.deepEqual(server.log.filter((l) => l.path.endsWith(SHARD1)).map((l) => `${l.range} ${l.status}`), ['bytes=0-65535 206']);
  assert.equal(state.done, false);
  other.release();
  const loaded = await opening;
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (loaded.files.get(SHARD1));
  assert.equal(loaded.files.get(SHARD2)?.deferred, undefined);
  assert.deepEqual(read(/** @type {any} */ (loaded.files.get(SHARD2)), 0, disk('fp16', SHARD2).length), disk('fp16', SHARD2));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  assert.equal(d.name, EMB);
  assert.equal(d.begin, base, 'the table alone in its shard');
  assert.equal(d.rowBytes, 256 * 2);
  await held.reached; // the body was asked for (bytes=65536-) once the other files were in, and is held
  const asked = server.log.filter((l) => l.path.endsWith(SHARD1)).map((l) => l.range);
  assert.deepEqual(asked, ['bytes=0-65535', 'bytes=65536-']);
  assert.deepEqual(read(entry, 0, 65536), bytes.subarray(0, 65536), 'the header and the first rows from the Range answer');
  const ranges = rowRanges(d, ROWS);
  await d.ensure(ranges);
  for (const [a, b] of ranges) assert.deepEqual(read(entry, a, b), bytes.subarray(a, b));
  held.release();
  await d.complete;
  assert.deepEqual(read(entry, 0, bytes.length), bytes);
  loaded.close();
});

test('ensure: rows the stream has cost nothing; rows it will reach soon are waited for, not fetched', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  const rowBytes = tensors[EMB].shape[1];
  const hold = server.hold('/m/q8/model.safetensors', begin + 200 * rowBytes);
  const files = await open('q8', {}, { soonBytes: bytes.length }); // the whole table counts as "soon"
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get('model.safetensors'));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  await hold.reached;
  // rows 0..199 came with the bytes before the table (once the client has read what was sent)
  const early = rowRanges(d, [0, 101, 102, 199]);
  for (let i = 0; i < 400 && !early.every(([a, b]) => d.has(a, b)); i++) await turns(5);
  assert.ok(early.every(([a, b]) => d.has(a, b)));
  await d.ensure(early);
  const late = settled(d.ensure(rowRanges(d, [2307, 29000])));
  await turns();
  assert.equal(late.done, false, 'waiting for the stream');
  hold.release();
  await d.ensure(rowRanges(d, [2307, 29000]));
  await turns();
  assert.equal(late.done, true);
  assert.equal(late.error, null);
  assert.equal(rangeRequests('model.safetensors').length, 0, 'no Range request');
  await d.complete;
  files.close();
});

test('ensure with the default tuning: a stream that brings nothing is not waited for (rows by Range)', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  const hold = server.hold('/m/q8/model.safetensors', begin);
  const files = await openModelFiles(`${server.url}/m/q8/`, { [ACCEPT_DEFERRED]: true });
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get('model.safetensors'));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  // rows right where the (held-back) stream stands, and far ones
  const ranges = rowRanges(d, [0, 1, 101, 29000]);
  await d.ensure(ranges);
  for (const [a, b] of ranges) assert.deepEqual(read(entry, a, b), bytes.subarray(a, b));
  assert.ok(rangeRequests('model.safetensors').length >= 1);
  hold.release();
  await d.complete;
  files.close();
});

test('ensure: nearby rows are coalesced into few single-range requests, at most maxRequests', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  const hold = server.hold('/m/q8/model.safetensors', begin);
  const files = await open('q8', {}, { soonBytes: 0, gapBytes: 16 * 1024, maxRequests: 3, concurrency: 2 });
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get('model.safetensors'));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  // rows 1000-1003 and 1040 (gap 36 rows = 9 KiB): one span; 5000 and 5010: one span; 27000, 28000 and
  // 29000 (gaps of 250 KiB, the smallest): merged into one to stay within 3 requests
  const rows = [1000, 1001, 1003, 1040, 5000, 5010, 27000, 28000, 29000];
  const ranges = rowRanges(d, rows);
  await d.ensure(ranges);
  for (const [a, b] of ranges) assert.deepEqual(read(entry, a, b), bytes.subarray(a, b));
  const requests = rangeRequests('model.safetensors');
  assert.equal(requests.length, 3, requests.map((l) => l.range).join(' '));
  const spans = requests.map((l) => /** @type {string} */ (l.range).slice(6).split('-').map(Number)).sort((x, y) => x[0] - y[0]);
  assert.deepEqual(spans[0], [ranges[0][0], ranges[3][1] - 1], 'rows 1000..1040 in one request');
  assert.deepEqual(spans[1], [ranges[4][0], ranges[5][1] - 1], 'rows 5000..5010 in one request');
  assert.deepEqual(spans[2], [ranges[6][0], ranges[8][1] - 1], 'the three far rows merged to stay within maxRequests');
  // rows already fetched cost no new request
  await d.ensure(rowRanges(d, [1001, 5005]));
  assert.equal(rangeRequests('model.safetensors').length, 3);
  hold.release();
  await d.complete;
  files.close();
});

test('a server that ignores Range: its 200 is cancelled and ensure waits for the stream', { skip }, async () => {
  server.reset();
  server.state.ignoreRange = true;
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  const hold = server.hold('/m/q8/model.safetensors', begin);
  const files = await open('q8');
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get('model.safetensors'));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  const ranges = rowRanges(d, ROWS);
  const waiting = settled(d.ensure(ranges));
  // the Range requests (sent together) are answered 200 (the whole file, held back like the stream) and cancelled
  for (let i = 0; i < 400 && !(rangeRequests('model.safetensors').length && rangeRequests('model.safetensors').every((l) => l.closed)); i++) {
    await turns(5);
  }
  const asked = rangeRequests('model.safetensors');
  assert.ok(asked.length >= 1 && asked.length <= 4, `${asked.length} requests: at most the concurrency`);
  assert.ok(asked.every((l) => l.status === 200 && l.closed), 'each 200 answer to a Range request was cancelled');
  assert.equal(waiting.done, false);
  hold.release();
  await d.ensure(ranges);
  for (const [a, b] of ranges) assert.deepEqual(read(entry, a, b), bytes.subarray(a, b));
  await d.complete;
  await d.ensure(rowRanges(d, [7, 7000]));
  assert.equal(rangeRequests('model.safetensors').length, asked.length, 'no more Range requests');
  files.close();
});

test('the table-only shard on a server that ignores Range: streamed as one file, handed out from its header', { skip }, async () => {
  server.reset();
  server.state.ignoreRange = true;
  const bytes = disk('fp16', SHARD1);
  const { base } = header(bytes);
  const hold = server.hold(`/m/fp16/${SHARD1}`, base + 4096);
  const files = await open('fp16');
  const entry = /** @type {import('../../js/sources/common.js').FileEntry} */ (files.files.get(SHARD1));
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (entry.deferred);
  assert.ok(d);
  const asked = server.log.filter((l) => l.path.endsWith(SHARD1));
  assert.equal(asked[0].range, 'bytes=0-65535');
  assert.equal(asked[0].status, 200, 'the header probe was answered with the whole file');
  assert.ok(asked.slice(1).some((l) => !l.range), 'then the file as usual');
  hold.release();
  await d.complete;
  assert.deepEqual(read(entry, 0, bytes.length), bytes);
  files.close();
});

for (const [status, code] of /** @type {const} */ ([[416, 'BAD_RESPONSE'], [404, 'NETWORK'], [500, 'NETWORK']])) {
  test(`a range request answered ${status}: ${code}, and the file fails (complete, later ensure)`, { skip }, async () => {
    server.reset();
    const bytes = disk('q8', 'model.safetensors');
    const { tensors, base } = header(bytes);
    const begin = base + tensors[EMB].data_offsets[0];
    server.hold('/m/q8/model.safetensors', begin);
    server.rangeStatus('/m/q8/model.safetensors', status);
    const files = await open('q8');
    const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (files.files.get('model.safetensors')?.deferred);
    const url = `${server.url}/m/q8/model.safetensors`;
    await rejectsWith(d.ensure(rowRanges(d, ROWS)), code, new RegExp(`HTTP ${status}`));
    await assert.rejects(d.complete, (/** @type {any} */ e) => e.code === code && e.url === url && e.status === status);
    await rejectsWith(d.ensure(rowRanges(d, [5])), code);
    files.close();
  });
}

test('a body cut before the table fails the load; one cut inside the table fails complete and ensure (NETWORK)', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  for (const [file, at] of /** @type {const} */ ([['model.safetensors', begin - 1000], ['model.safetensors', 100], ['tokenizer.json', 1000]])) {
    server.reset();
    server.truncate(`/m/q8/${file}`, at); // inside the table's file before the table, inside its header, another file
    await rejectsWith(open('q8'), 'NETWORK', new RegExp(`${file.replace('.', '\\.')} failed`));
  }
  server.reset();
  const hold = server.hold('/m/q8/model.safetensors', begin + 10_000);
  const files = await open('q8', {}, { soonBytes: bytes.length });
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (files.files.get('model.safetensors')?.deferred);
  assert.ok(d, 'handed out: everything before the table came');
  const waiting = d.ensure(rowRanges(d, [29000]));
  // every byte sent before the cut has been read (an error discards a stream's unread chunks)
  for (let i = 0; i < 400 && !d.has(begin, begin + 10_000); i++) await turns(5);
  assert.ok(d.has(begin, begin + 10_000));
  hold.cut();
  await rejectsWith(waiting, 'NETWORK', /model\.safetensors/);
  await rejectsWith(d.complete, 'NETWORK');
  assert.ok(rowRanges(d, [1]).every(([a, b]) => d.has(a, b)), 'bytes that arrived stay readable');
  await d.ensure(rowRanges(d, [1]));
  files.close();
});

test('aborted: the load\'s signal or close() after hand-out rejects complete and ensure with ABORTED', { skip }, async () => {
  server.reset();
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  const begin = base + tensors[EMB].data_offsets[0];
  server.hold('/m/q8/model.safetensors', begin);
  const controller = new AbortController();
  const files = await open('q8', { signal: controller.signal }, { soonBytes: bytes.length });
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (files.files.get('model.safetensors')?.deferred);
  const waiting = d.ensure(rowRanges(d, [29000]));
  controller.abort();
  await rejectsWith(waiting, 'ABORTED', /aborted/);
  await rejectsWith(d.complete, 'ABORTED');
  files.close();

  server.reset();
  server.hold('/m/q8/model.safetensors', begin);
  const again = await open('q8', {}, { soonBytes: bytes.length });
  const d2 = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (again.files.get('model.safetensors')?.deferred);
  const pending = d2.ensure(rowRanges(d2, [29000]));
  again.close();
  await rejectsWith(pending, 'ABORTED', /closed/);
  await rejectsWith(d2.complete, 'ABORTED');
  // an abort before hand-out: the load rejects, as without progressive weights
  server.reset();
  const hold = server.hold('/m/q8/model.safetensors', 1000);
  const early = new AbortController();
  const loading = open('q8', { signal: early.signal });
  await hold.reached;
  early.abort();
  await assert.rejects(loading, (/** @type {any} */ e) => e.name === 'BertologyError' && ['NETWORK', 'ABORTED'].includes(e.code));
});

test('HTML instead of the weights: absent (optional model.safetensors) or BAD_RESPONSE (a shard), as before; bad ranges: INVALID_ARGUMENT', { skip }, async () => {
  server.reset();
  await rejectsWith(open('html'), 'FILE_NOT_FOUND', /model\.safetensors \(an HTML page/);
  await rejectsWith(open('html-shard'), 'BAD_RESPONSE', /HTML page/);
  const bytes = disk('q8', 'model.safetensors');
  const { tensors, base } = header(bytes);
  server.hold('/m/q8/model.safetensors', base + tensors[EMB].data_offsets[0]);
  const files = await open('q8');
  const d = /** @type {import('../../js/sources/common.js').DeferredTensor} */ (files.files.get('model.safetensors')?.deferred);
  await rejectsWith(d.ensure([[0, 10]]), 'INVALID_ARGUMENT');
  await rejectsWith(d.ensure([[d.end - 1, d.end + 1]]), 'INVALID_ARGUMENT');
  files.close();
});

test('not progressive: sha256 option, X-Linked-Etag, progressive: false, a consumer that does not accept it, a cache hit, another layout', { skip }, async () => {
  const q8 = disk('q8', 'model.safetensors');
  /** @param {import('../../js/sources/common.js').ModelFiles} files */
  const noDeferred = (files) => {
    for (const [name, entry] of files.files) assert.equal(entry.deferred, undefined, name);
    files.close();
  };
  server.reset();
  const sha256 = (await import('node:crypto')).createHash('sha256').update(q8).digest('hex');
  noDeferred(await open('q8', { sha256: { 'model.safetensors': sha256 } }));
  server.state.linkedEtag = true;
  noDeferred(await open('q8'));
  noDeferred(await open('fp16'));
  server.reset();
  noDeferred(await open('q8', { progressive: false }));
  noDeferred(await openModelFiles(`${server.url}/m/q8/`, {}));
  const merged = await open('merged');
  noDeferred(merged);
  // a cache hit
  const cache = {
    match: async (/** @type {string} */ url) => {
      const file = url.split('/').pop() ?? '';
      try {
        return new Response(disk('q8', file), { headers: { 'content-type': 'application/octet-stream' } });
      } catch {
        return undefined;
      }
    },
    put: async () => {},
  };
  server.reset();
  noDeferred(await open('q8', { cache }));
  assert.equal(server.log.filter((l) => l.path.endsWith('model.safetensors')).length, 0, 'from the cache');
  // every byte as on disk
  const files = await open('q8', { progressive: false });
  assert.deepEqual(read(/** @type {any} */ (files.files.get('model.safetensors')), 0, q8.length), q8);
  files.close();
});

test('no unhandled rejections', { skip }, async () => {
  await turns(50);
  assert.deepEqual(unhandled, []);
});
