// `bertology convert` / convertModel (docs/checkpoint-format.md) on the shared bert-mini models:
// - q8 conversions load to outputs BITWISE equal to loading the original with dtype 'q8' (oracle: the
//   engine's own load-time quantisation, which the file must reproduce): bert-mini-sst2 logits on all
//   872 SST-2 dev sentences; hidden states and logits of all four bert-mini models on their Hugging
//   Face reference texts, loaded from a directory, a URL, bytes and a Cache API cache;
// - the stored int8 values and scales equal an independent numpy computation from the source weights
//   (tests/js/helpers/convert_oracle.py), and fp16 conversions are byte for byte numpy's astype(float16);
// - weight bytes: q8 <= 0.3x the fp32 file for all four (bert-mini-mlm's tied decoder runs on the
//   same int8 rows as its embeddings, which are stored once);
// - corrupted converted files and misuse give clear errors; a good model loads afterwards.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BertologyError, BertologyModel, convertModel } from '../../js/index.js';
import { parseSst2 } from '../../js/eval/sst2.js';
import { SKIP_REASON, readModelFiles, readSharedJson, sharedPath } from './helpers/shared.js';
import { parseSafetensors, writeSafetensors } from './helpers/safetensors.js';
import { startDevServer } from '../../web/dev-server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(HERE, '../../bin/bertology.mjs');
const ORACLE = join(HERE, 'helpers', 'convert_oracle.py');
const PYTHON = '/usr/bin/python3';
const MODELS = ['bert-mini-sst2', 'bert-mini-mlm', 'bert-mini-conll03', 'bert-mini-squad'];
const skip = SKIP_REASON;

/** @type {string} */
let tmp;
/** @type {Record<string, any>} CLI --json reports of the q8 conversions */
const reports = {};

/** @param {string} name */
const q8Dir = (name) => join(tmp, `${name}-q8`);
/** @param {...string} args */
const cli = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

before(() => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'bertology-convert-'));
  for (const name of MODELS) {
    const r = cli('convert', '--dtype', 'q8', sharedPath('models', name), q8Dir(name), '--json');
    assert.equal(r.status, 0, r.stderr);
    reports[name] = JSON.parse(r.stdout.trim().split('\n').at(-1));
  }
});
after(() => { if (tmp) rmSync(tmp, { recursive: true, force: true }); });

/** @param {Float32Array} a @param {Float32Array} b */
const sameBits = (a, b) => a.length === b.length &&
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Every float output of a forward, by name. */
function floats(/** @type {any} */ out) {
  /** @type {Record<string, Float32Array>} */
  const all = {};
  for (const k of ['logits', 'start_logits', 'end_logits', 'hidden_states', 'last_hidden_state']) {
    if (out[k]) all[k] = out[k].data;
  }
  return all;
}

/** @param {Record<string, Float32Array>} got @param {Record<string, Float32Array>} want @param {string} what */
function assertBitwise(got, want, what) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort(), `${what}: outputs`);
  for (const k of Object.keys(want)) assert.ok(sameBits(got[k], want[k]), `${what}: ${k} differs from load-time q8`);
}

test('convert q8: bert-mini-sst2 logits on all 872 SST-2 dev sentences are bitwise those of load-time q8', { skip }, async (t) => {
  const rows = parseSst2(readFileSync(sharedPath('data', 'sst2', 'dev.tsv'), 'utf8'));
  assert.equal(rows.length, 872);
  const original = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { dtype: 'q8', threads: 2 });
  const converted = await BertologyModel.load(q8Dir('bert-mini-sst2'), { threads: 2 });
  try {
    assert.equal(converted.info.dtype, 'q8', 'a converted folder loads as q8 without a dtype');
    assert.equal(original.info.dtype, 'q8');
    let correct = 0;
    for (let i = 0; i < rows.length; i += 32) {
      const batch = rows.slice(i, i + 32).map((r) => r.sentence);
      const a = original.forward(batch, { output_last_hidden_state: false }).logits;
      const b = converted.forward(batch, { output_last_hidden_state: false }).logits;
      assert.ok(a && b && sameBits(b.data, a.data), `logits of sentences ${i}..${i + batch.length - 1} differ`);
      for (let j = 0; j < batch.length; j++) correct += Number(b.data[2 * j + 1] > b.data[2 * j]) === rows[i + j].label ? 1 : 0;
    }
    t.diagnostic(`converted q8 SST-2 dev accuracy ${correct}/872 (load-time q8: identical logits)`);
    assert.equal(converted.memoryUsage().weights, original.memoryUsage().weights, 'the same packed weights');
  } finally {
    original.dispose();
    converted.dispose();
  }
});

/** A CacheLike over a Map (the Cache API's match/put contract), counting hits. */
function memoryCache() {
  /** @type {Map<string, Response>} */
  const entries = new Map();
  const cache = {
    hits: 0,
    async match(/** @type {string} */ url) {
      const r = entries.get(url);
      if (r) cache.hits++;
      return r?.clone();
    },
    async put(/** @type {string} */ url, /** @type {Response} */ r) { entries.set(url, r.clone()); },
  };
  return cache;
}

test('convert q8: all four bert-mini models, hidden states and logits bitwise equal to load-time q8 (directory, URL, bytes, Cache API)', { skip }, async (t) => {
  const server = await startDevServer({ roots: { '/m/': tmp }, coi: false });
  try {
    for (const name of MODELS) {
      const { texts } = readSharedJson('reference', `${name}.json`);
      const run = (/** @type {BertologyModel} */ m) => floats(m.forward(texts, { output_hidden_states: true }));
      const original = await BertologyModel.load(sharedPath('models', name), { dtype: 'q8', threads: 1 });
      const want = run(original);
      original.dispose();
      assert.ok(want.hidden_states && (want.logits || want.start_logits), name);
      const cache = memoryCache();
      const url = new URL(`m/${name}-q8/`, server.url).href;
      const sources = /** @type {[string, any, object][]} */ ([
        ['directory', q8Dir(name), {}],
        ['URL', url, {}],
        ['bytes', readModelFiles(q8Dir(name)), {}],
        ['Cache API (fill)', url, { cache }],
        // every request now 404s: what loads came from the cache
        ['Cache API (hit, server gone)', url, { cache, fetch: async () => new Response('gone', { status: 404 }) }],
        ['dtype q8 given', q8Dir(name), { dtype: 'q8' }],
      ]);
      for (const [how, source, options] of sources) {
        const m = await BertologyModel.load(source, { threads: 1, ...options });
        assert.equal(m.info.dtype, 'q8', `${name} ${how}`);
        assertBitwise(run(m), want, `${name} from ${how}`);
        m.dispose();
      }
      assert.ok(cache.hits >= 3, `${name}: the last load came from the cache (${cache.hits} hits)`);
      t.diagnostic(`${name}: ${Object.entries(want).map(([k, v]) => `${k} ${v.length}`).join(', ')} bitwise, 6 sources`);
    }
  } finally {
    await server.close();
  }
});

test('convert q8: a tied decoder shares the int8 embeddings; a folder converted before that (float16 embeddings) loads bitwise equal too', { skip }, async () => {
  const name = 'bert-mini-mlm';
  const emb = 'bert.embeddings.word_embeddings.weight';
  const files = readModelFiles(q8Dir(name));
  const { tensors, metadata } = parseSafetensors(files['model.safetensors']);
  const dtypes = Object.fromEntries(tensors.map((t) => [t.name, t.dtype]));
  assert.equal(dtypes[emb], 'I8', 'the tied word embeddings are stored once, in int8');
  assert.equal(dtypes[`${emb}_scale`], 'F32');
  assert.ok(!tensors.some((t) => t.name.startsWith('cls.predictions.decoder')), 'no second copy for the decoder');
  // The layout the converter wrote before the decoder went int8: the embeddings as in the source (float16).
  const source = parseSafetensors(readModelFiles(sharedPath('models', name))['model-00001-of-00002.safetensors']).tensors
    .find((t) => t.name === emb);
  assert.ok(source && source.dtype === 'F16');
  const size = { F32: 4, F16: 2, I8: 1 };
  const older = [...tensors.filter((t) => t.name !== emb && t.name !== `${emb}_scale`), source]
    .sort((a, b) => (size[/** @type {'F32'} */ (b.dtype)] ?? 8) - (size[/** @type {'F32'} */ (a.dtype)] ?? 8));
  const olderFiles = { ...files, 'model.safetensors': writeSafetensors(older, { metadata }) };
  const { texts } = readSharedJson('reference', `${name}.json`);
  const run = (/** @type {BertologyModel} */ m) => floats(m.forward(texts, { output_hidden_states: true }));
  const original = await BertologyModel.load(sharedPath('models', name), { dtype: 'q8', threads: 1 });
  const converted = await BertologyModel.load(q8Dir(name), { threads: 1 });
  const old = await BertologyModel.load(olderFiles, { threads: 1 });
  try {
    const want = run(original);
    assertBitwise(run(converted), want, `${name} converted`);
    assertBitwise(run(old), want, `${name} converted before (float16 embeddings)`);
    assert.equal(old.info.dtype, 'q8');
    // one int8 matrix in memory for the gather table + the decoder's panels, no float32 decoder (31 MB)
    assert.ok(original.memoryUsage().weights < 24e6, `weights ${original.memoryUsage().weights} bytes`);
  } finally {
    original.dispose();
    converted.dispose();
    old.dispose();
  }
});

test('convert q8: weight bytes <= 0.3x the fp32 file for all four (the tied MLM decoder shares the int8 embeddings)', { skip }, async (t) => {
  // The fp32 file for real, for one model, to check the report's fp32_bytes.
  const fp32 = await convertModel(sharedPath('models', 'bert-mini-sst2'), { dtype: 'fp32', threads: 1 });
  const fp32File = /** @type {Map<string, Uint8Array>} */ (fp32.files).get('model.safetensors');
  assert.ok(fp32File);
  const header = Number(new DataView(fp32File.buffer, fp32File.byteOffset).getBigUint64(0, true)) + 8;
  assert.equal(fp32File.byteLength - header, fp32.fp32_bytes, 'fp32_bytes is the fp32 file without its header');
  for (const name of MODELS) {
    const r = reports[name];
    const size = statSync(join(q8Dir(name), 'model.safetensors')).size;
    assert.equal(size, r.output_bytes);
    const ratio = size / r.fp32_bytes;
    t.diagnostic(`${name}: q8 ${(size / 1e6).toFixed(2)} MB, fp32 ${(r.fp32_bytes / 1e6).toFixed(2)} MB, ` +
      `source ${(r.input_bytes / 1e6).toFixed(2)} MB (float16): ratio ${ratio.toFixed(3)}; tensors ${JSON.stringify(r.tensors)}`);
    // 4 layers x 6 matrices + the word embeddings (for bert-mini-mlm also its tied decoder's matrix).
    assert.equal(r.tensors.int8, 25, `${name}: 24 encoder matrices + the word embeddings`);
    assert.ok(ratio <= 0.3, `${name}: ${ratio}`);
  }
});

test('convert q8: stored int8 values and scales equal numpy\'s computation from the source weights; other tensors keep their bytes', { skip }, (t) => {
  for (const name of MODELS) {
    const out = JSON.parse(execFileSync(PYTHON, [ORACLE, 'q8', sharedPath('models', name), join(q8Dir(name), 'model.safetensors')],
      { encoding: 'utf8', maxBuffer: 16 << 20 }));
    assert.ok(out.ok, `${name}: ${out.errors.join('; ')}`);
    assert.equal(out.int8.length, 25);
    t.diagnostic(`${name}: ${out.checked} tensors checked by numpy, ${out.int8.length} int8`);
  }
});

test('convert fp16: byte for byte numpy astype(float16) of the float32 weights; fp32 -> fp16 round trip is lossless', { skip }, async (t) => {
  // fp32 sources (tiny models of each storage type) -> fp16, compared with numpy.
  for (const tiny of ['tiny-bert-bert-sequenceclassification', 'tiny-distilbert-distilbert-maskedlm',
    'tiny-albert-albert-maskedlm', 'tiny-roberta-roberta-maskedlm', 'tiny-bert-bert-questionanswering']) {
    const dir = sharedPath('models', 'tiny', tiny);
    const out = join(tmp, `${tiny}-fp16`);
    const r = cli('convert', '--dtype', 'fp16', dir, out);
    assert.equal(r.status, 0, r.stderr);
    const oracle = JSON.parse(execFileSync(PYTHON, [ORACLE, 'fp16', dir, join(out, 'model.safetensors')], { encoding: 'utf8' }));
    assert.ok(oracle.ok, `${tiny}: ${oracle.errors.join('; ')}`);
    const m = await BertologyModel.load(out, { threads: 1 });
    assert.equal(m.info.dtype, 'fp32', 'an fp16 checkpoint is decoded to float32');
    m.dispose();
    t.diagnostic(`${tiny}: ${oracle.checked} tensors equal to numpy's float16`);
  }
  // bert-mini is stored in float16: -> fp32 -> fp16 gives back the very same tensors, so the same model.
  const fp32 = join(tmp, 'sst2-fp32');
  const back = join(tmp, 'sst2-fp16');
  assert.equal(cli('convert', '--dtype', 'fp32', sharedPath('models', 'bert-mini-sst2'), fp32).status, 0);
  assert.equal(cli('convert', '--dtype', 'fp16', fp32, back).status, 0);
  const same = JSON.parse(execFileSync(PYTHON, [ORACLE, 'fp16', sharedPath('models', 'bert-mini-sst2'), join(back, 'model.safetensors')],
    { encoding: 'utf8' }));
  assert.ok(same.ok, same.errors.join('; '));
  const { texts } = readSharedJson('reference', 'bert-mini-sst2.json');
  const outputs = [];
  for (const dir of [sharedPath('models', 'bert-mini-sst2'), fp32, back]) {
    const m = await BertologyModel.load(dir, { threads: 1 });
    outputs.push(floats(m.forward(texts, { output_hidden_states: true })));
    m.dispose();
  }
  assertBitwise(outputs[1], outputs[0], 'fp32 conversion');
  assertBitwise(outputs[2], outputs[0], 'fp16 after fp32');
  // A q8 conversion of the fp32 conversion is the same file as one of the float16 original... up to
  // the tensors kept as stored (float32 there): its int8 tensors are identical, and so are the outputs.
  const q8From32 = await convertModel(fp32, { dtype: 'q8', threads: 1 });
  const a = await BertologyModel.load(/** @type {Map<string, Uint8Array>} */ (q8From32.files), { threads: 1 });
  const b = await BertologyModel.load(q8Dir('bert-mini-sst2'), { threads: 1 });
  assertBitwise(floats(a.forward(texts, { output_hidden_states: true })), floats(b.forward(texts, { output_hidden_states: true })),
    'q8 of the fp32 conversion');
  a.dispose();
  b.dispose();
});

test('convertModel: in memory (the browser path) writes the same bytes as the CLI, copies the tokenizer files, marks config.json', { skip }, async () => {
  const dir = sharedPath('models', 'bert-mini-conll03');
  const r = await convertModel(readModelFiles(dir), { dtype: 'q8' });
  const files = /** @type {Map<string, Uint8Array>} */ (r.files);
  assert.deepEqual([...files.keys()].sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  assert.ok(Buffer.from(/** @type {Uint8Array} */ (files.get('model.safetensors'))).equals(readFileSync(join(q8Dir('bert-mini-conll03'), 'model.safetensors'))));
  assert.deepEqual(readdirSync(q8Dir('bert-mini-conll03')).sort(), ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    assert.ok(Buffer.from(/** @type {Uint8Array} */ (files.get(f))).equals(readFileSync(join(dir, f))), f);
  }
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
  const original = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(config.quantization_config, {
    quant_method: 'bertology', format: 'q8', format_version: 2, int8_tensors: 25,
    weights: 'int8, symmetric, one float32 scale per row in <name>_scale; linears 7-bit in [-64, 64], word embeddings in [-127, 127]',
  });
  delete config.quantization_config;
  assert.deepEqual(config, original, 'config.json otherwise unchanged');
  const { tensors, metadata } = parseSafetensors(/** @type {Uint8Array} */ (files.get('model.safetensors')));
  assert.equal(metadata?.['bertology.dtype'], 'q8');
  const q = tensors.find((x) => x.name === 'bert.encoder.layer.0.attention.self.query.weight');
  const s = tensors.find((x) => x.name === 'bert.encoder.layer.0.attention.self.query.weight_scale');
  assert.deepEqual([q?.dtype, q?.shape, s?.dtype, s?.shape], ['I8', [256, 256], 'F32', [256]]);
});

// Format 1 (8-bit linears, written before 2026-12-05) still loads: each stored linear row is narrowed to
// the 7-bit weight range as it is read (q = round(q8 * 64 / max|q8|), scale * max|q8| / 64).
// Oracle: a format-1 folder made here from the source's float32 weights by the old documented rule
// (q = round(w * 127 / max|w|)), and the narrowing computed independently in JS; its logits equal those
// of a format-2 folder holding those narrowed rows, bitwise. And a format-1 marker on 7-bit rows
// (max |q| = 64 per row) changes nothing.
test('converted files of format 1 (8-bit linears) load, narrowed to 7 bits', { skip }, async () => {
  const files = await tinyQ8();
  const { tensors, metadata } = parseSafetensors(/** @type {Uint8Array} */ (files.get('model.safetensors')));
  const source = parseSafetensors(readFileSync(join(TINY, 'model.safetensors')));
  const f32 = (/** @type {string} */ name) => {
    const t = /** @type {any} */ (source.tensors.find((x) => x.name === name));
    assert.equal(t.dtype, 'F32', name);
    return new Float32Array(t.bytes.slice().buffer);
  };
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json')));
  // The int8 linears (not the word embeddings, whose rule is unchanged) and their scales.
  const linears = new Set(tensors.filter((t) => t.dtype === 'I8' && !t.name.endsWith('word_embeddings.weight')).map((t) => t.name));
  const v1 = [], narrowed = [];
  let changed = 0;
  for (const t of tensors) {
    if (t.name.endsWith('_scale') && linears.has(t.name.slice(0, -'_scale'.length))) continue;
    if (!linears.has(t.name)) {
      v1.push(t), narrowed.push(t);
      continue;
    }
    const scaleOf = /** @type {any} */ (tensors.find((x) => x.name === `${t.name}_scale`));
    const [rows, cols] = t.shape;
    const w = f32(t.name);
    const q8 = new Int8Array(rows * cols), s8 = new Float32Array(rows), q7 = new Int8Array(rows * cols), s7 = new Float32Array(rows);
    for (let r = 0; r < rows; ++r) {
      let m = 0;
      for (let c = 0; c < cols; ++c) m = Math.max(m, Math.abs(w[r * cols + c]));
      const inv = m > 0 ? Math.fround(127 / m) : 0;
      s8[r] = Math.fround(m / 127);
      let mq = 0;
      for (let c = 0; c < cols; ++c) {
        const v = Math.fround(w[r * cols + c] * inv);
        const q = Math.min(127, Math.max(-127, roundEven(v)));
        q8[r * cols + c] = q;
        mq = Math.max(mq, Math.abs(q));
      }
      for (let c = 0; c < cols; ++c) q7[r * cols + c] = mq > 0 ? roundEven(Math.fround((q8[r * cols + c] * 64) / mq)) : 0;
      s7[r] = Math.fround(Math.fround(s8[r] * mq) / 64);
      if (mq !== 64) ++changed;
    }
    const bytes = (/** @type {ArrayBufferView} */ a) => new Uint8Array(a.buffer.slice(0));
    v1.push({ ...t, bytes: bytes(q8) }, { ...scaleOf, bytes: bytes(s8) });
    narrowed.push({ ...t, bytes: bytes(q7) }, { ...scaleOf, bytes: bytes(s7) });
  }
  assert.ok(linears.size > 0 && changed > 0, `${linears.size} linears, ${changed} rows narrowed`);
  const withTensors = (/** @type {any[]} */ list, /** @type {number} */ version) => {
    const f = new Map(files);
    f.set('model.safetensors', writeSafetensors(list, { metadata }));
    f.set('config.json', new TextEncoder().encode(JSON.stringify({ ...config, quantization_config: { ...config.quantization_config, format_version: version } })));
    return f;
  };
  const logits = async (/** @type {Map<string, Uint8Array>} */ f) => {
    const m = await BertologyModel.load(f, { threads: 1 });
    try {
      assert.equal(m.info.dtype, 'q8');
      const ids = Int32Array.from({ length: 2 * 12 }, (_, i) => (i * 37 + 5) % 90 + 2);
      return floats(m.forward({ input_ids: { data: ids, dims: [2, 12] } })).logits;
    } finally { m.dispose(); }
  };
  const old = await logits(withTensors(v1, 1));
  assert.ok(sameBits(old, await logits(withTensors(narrowed, 2))), 'format 1 = its rows narrowed, as format 2');
  assert.ok(sameBits(await logits(files), await logits(withTensors(tensors, 1))), 'format 1 marker on 7-bit rows: no change');
  // An 8-bit value in a format-2 file is refused (the kernels' 16-bit sums need the 7-bit range).
  await assertLoadFails(withTensors(v1, 2), /row \d+ holds -?\d+ \(int8 linear weights are 7-bit, symmetric, in \[-64, 64\]\)/);
});

/** Round half to even, as the engine's nearbyint. @param {number} v */
function roundEven(v) {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---- errors ----

const TINY = sharedPath('models', 'tiny', 'tiny-bert-bert-sequenceclassification');
/** The tiny classifier converted to q8, as files in memory. */
async function tinyQ8() {
  const r = await convertModel(TINY, { dtype: 'q8', threads: 1 });
  return /** @type {Map<string, Uint8Array>} */ (r.files);
}
const Q = 'bert.encoder.layer.0.attention.self.query.weight';

/**
 * The tiny q8 files with model.safetensors rebuilt from edited tensors.
 * @param {(tensors: import('./helpers/safetensors.js').RawTensor[]) => import('./helpers/safetensors.js').RawTensor[]} edit
 */
async function corrupted(edit) {
  const files = await tinyQ8();
  const { tensors, metadata } = parseSafetensors(/** @type {Uint8Array} */ (files.get('model.safetensors')));
  files.set('model.safetensors', writeSafetensors(edit(tensors.map((t) => ({ ...t, bytes: t.bytes.slice() }))), { metadata }));
  return files;
}

/** @param {any} source @param {RegExp} pattern @param {object} [options] */
async function assertLoadFails(source, pattern, options = {}) {
  const err = await BertologyModel.load(source, { threads: 1, ...options }).then((m) => { m.dispose(); return null; }, (e) => e);
  assert.ok(err instanceof BertologyError, `expected an error matching ${pattern}`);
  assert.match(err.message, pattern);
  return err;
}

test('converted files: corruptions give clear errors naming the tensor; a good model loads afterwards', { skip }, async () => {
  /** @param {string} name */
  const byName = (name) => (/** @type {any[]} */ t) => t.find((x) => x.name === name);
  const cases = /** @type {[string, (t: any[]) => any[], RegExp][]} */ ([
    ['scale count', (t) => { const s = byName(`${Q}_scale`)(t); s.shape = [s.shape[0] - 1]; s.bytes = s.bytes.subarray(4); return t; },
      /'bert\.encoder\.layer\.0\.attention\.self\.query\.weight_scale' has shape \[31\] but '.*query\.weight' has 32 rows: expected \[32\]/],
    ['scale dtype', (t) => { const s = byName(`${Q}_scale`)(t); s.dtype = 'F16'; s.shape = [s.shape[0] * 2]; return t; },
      /query\.weight_scale' has dtype F16; the scales of int8 weights must be F32/],
    ['missing scales', (t) => t.filter((x) => x.name !== `${Q}_scale`), /query\.weight' is stored in int8 but its scales '.*_scale' are missing/],
    // validate_weights (default on) finds a NaN scale first, as in any float tensor.
    ['NaN scale', (t) => { new Float32Array(byName(`${Q}_scale`)(t).bytes.buffer)[3] = NaN; return t; },
      /query\.weight_scale' holds NaN at element 3; weights must be finite/],
    ['negative scale', (t) => { new Float32Array(byName(`${Q}_scale`)(t).bytes.buffer)[0] = -1; return t; }, /scale of row 0 is -1/],
    ['-128', (t) => { byName(Q)(t).bytes[33 * 2] = 0x80; return t; }, /query\.weight': row 2 holds -128 \(int8 linear weights are 7-bit, symmetric, in \[-64, 64\]\)/],
    ['65', (t) => { byName(Q)(t).bytes[33 * 2] = 65; return t; }, /query\.weight': row 2 holds 65 \(int8 linear weights are 7-bit, symmetric, in \[-64, 64\]\)/],
    ['embeddings -128', (t) => { byName('bert.embeddings.word_embeddings.weight')(t).bytes[40] = 0x80; return t; },
      /word_embeddings\.weight': row 1 holds -128 \(int8 weights are symmetric, in \[-127, 127\]\)/],
    ['weight dtype', (t) => { byName(Q)(t).dtype = 'U8'; return t; }, /query\.weight' has dtype U8; expected F32, F16, BF16 or F64/],
    ['word embeddings dtype', (t) => { byName('bert.embeddings.word_embeddings.weight')(t).dtype = 'U8'; return t; },
      /word_embeddings\.weight' has dtype U8; expected F32, F16, BF16 or F64/],
    ['word embeddings shape', (t) => { const w = byName('bert.embeddings.word_embeddings.weight')(t); w.dtype = 'I16'; w.shape = [w.shape[0] / 2, w.shape[1]]; return t; },
      /word_embeddings\.weight' has shape \[500, 32\] but the config implies \[1000, 32\]/],
    ['int8 where the engine reads floats', (t) => {
      const p = byName('bert.pooler.dense.weight')(t);
      const n = p.shape[0] * p.shape[1];
      return [...t.filter((x) => x !== p), { name: p.name, dtype: 'I8', shape: p.shape, bytes: new Uint8Array(n) },
        { name: `${p.name}_scale`, dtype: 'F32', shape: [p.shape[0]], bytes: new Uint8Array(4 * p.shape[0]) }];
    }, /pooler\.dense\.weight' has dtype I8; expected .* \(int8 weights, as `bertology convert --dtype q8` writes them, are read only for the encoder linears/],
  ]);
  for (const [what, edit, pattern] of cases) {
    await assertLoadFails(await corrupted(edit), pattern).catch((e) => { throw new Error(`${what}: ${e.message}`); });
  }
  // Without that check, the int8 reader's own rule for scales.
  await assertLoadFails(await corrupted((t) => { new Float32Array(byName(`${Q}_scale`)(t).bytes.buffer)[3] = NaN; return t; }),
    /query\.weight_scale': the scale of row 3 is nan \(scales must be finite and >= 0\)/, { validate_weights: false });
  // Truncated: the header promises more bytes than the file has.
  const files = await tinyQ8();
  const full = /** @type {Uint8Array} */ (files.get('model.safetensors'));
  files.set('model.safetensors', full.subarray(0, full.byteLength - 100));
  await assertLoadFails(files, /model\.safetensors: tensor '.*': data_offsets \[\d+, \d+\] out of range/);
  // The marker: fp32 asked for explicitly; a foreign or newer quantization_config.
  await assertLoadFails(await tinyQ8(), /this checkpoint stores int8 weights \(config\.json quantization_config.*load it with dtype 'q8' \(or without dtype\)/,
    { dtype: 'fp32' });
  /** @param {(c: any) => void} edit */
  const withConfig = async (edit) => {
    const f = await tinyQ8();
    const c = JSON.parse(new TextDecoder().decode(f.get('config.json')));
    edit(c);
    f.set('config.json', new TextEncoder().encode(JSON.stringify(c)));
    return f;
  };
  await assertLoadFails(await withConfig((c) => { c.quantization_config.quant_method = 'gptq'; }),
    /quantization_config: quant_method 'gptq' is not supported \(only checkpoints written by `bertology convert --dtype q8`/);
  await assertLoadFails(await withConfig((c) => { c.quantization_config.format_version = 3; }), /format_version 3 is not supported \(this engine reads 1 and 2/);
  // Without the marker, int8 tensors and no dtype: fp32 is the default, and the error says what to do.
  await assertLoadFails(await withConfig((c) => { delete c.quantization_config; }), /word_embeddings\.weight' is stored in int8 .*load the model with dtype 'q8'/);
  const ok = await BertologyModel.load(await tinyQ8(), { threads: 1 });
  assert.equal(ok.info.dtype, 'q8');
  ok.dispose();
});

test('bertology convert: usage errors and refusals', { skip }, async () => {
  const bad = cli('convert', '--dtype', 'int4', TINY, join(tmp, 'x'));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /convert needs --dtype q8\|fp16\|fp32 \(got "int4"\)/);
  assert.equal(cli('convert', '--dtype', 'q8', TINY).status, 2);
  const into = cli('convert', '--dtype', 'q8', q8Dir('bert-mini-sst2'), q8Dir('bert-mini-sst2'));
  assert.equal(into.status, 1);
  assert.match(into.stderr, /the output directory is the input directory/);
  const exists = cli('convert', '--dtype', 'q8', sharedPath('models', 'bert-mini-sst2'), q8Dir('bert-mini-sst2'));
  assert.equal(exists.status, 1);
  assert.match(exists.stderr, /already holds config\.json, model\.safetensors \(pass overwrite: true, or --overwrite, to replace them\)/);
  const twice = cli('convert', '--dtype', 'fp16', q8Dir('bert-mini-sst2'), join(tmp, 'twice'));
  assert.equal(twice.status, 1);
  assert.match(twice.stderr, /already converted to int8 .*convert the original checkpoint instead/);
  assert.ok(!existsSync(join(tmp, 'twice', 'model.safetensors')));
  // --overwrite replaces (and removes a stale sharded index with its shards).
  const out = join(tmp, 'overwrite');
  assert.equal(cli('convert', '--dtype', 'fp32', TINY, out).status, 0);
  writeFileSync(join(out, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00001.safetensors' } }));
  writeFileSync(join(out, 'model-00001-of-00001.safetensors'), 'x');
  const again = cli('convert', '--dtype', 'q8', TINY, out, '--overwrite');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /model\.safetensors .* x fp32 .*tensors: \d+ int8/);
  assert.deepEqual(readdirSync(out).sort(), ['config.json', 'model.safetensors']);
  await assert.rejects(convertModel(TINY, /** @type {any} */ ({ dtype: 'bf16' })), /dtype must be one of q8, fp16, fp32; got "bf16"/);
  await assert.rejects(convertModel(TINY, /** @type {any} */ ({ dtype: 'q8', device: 'wasm' })), /convertModel: unknown option "device"; known: /);
  // A value beyond float16's range is an error, not an infinity.
  const files = readModelFiles(TINY);
  const { tensors, metadata } = parseSafetensors(files['model.safetensors']);
  const big = tensors.find((x) => x.name === 'classifier.bias');
  assert.ok(big && big.dtype === 'F32');
  const copy = big.bytes.slice();
  new Float32Array(copy.buffer)[1] = 1e6;
  files['model.safetensors'] = writeSafetensors(tensors.map((x) => (x === big ? { ...x, bytes: copy } : x)), { metadata });
  await assert.rejects(convertModel(files, { dtype: 'fp16' }),
    /tensor 'classifier\.bias': value 1000000\.000000 is beyond float16's range \(\|x\| < 65520\): convert with dtype fp32 or q8/);
});
