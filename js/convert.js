// Checkpoint conversion: a model folder rewritten with its weights stored the way the engine will hold
// them (docs/checkpoint-format.md), so an app downloads no more than it keeps.
//
//   q8   int8 encoder linears and word embeddings with their per-row scales (about a quarter of fp32);
//        loading the result gives outputs bitwise equal to loading the original with dtype 'q8'
//   fp16 every float tensor rounded to float16 (to nearest even)
//   fp32 every float tensor as float32
//
// The quantisation runs in the wasm engine (src/models/convert.h), the same code that quantises at
// load time. Works in Node (write a folder, or get the files) and in browsers (files in memory).

import { BertologyError, check, unwrap } from './errors.js';
import { LOAD_OPTIONS, createFileStore, fileReadError } from './files.js';
import { getRuntime, isNode, nodeModule } from './runtime.js';
import { openModelFiles } from './sources/index.js';
import { CONFIG, WEIGHTS, WEIGHTS_INDEX } from './sources/common.js';

/** The target dtypes of `convertModel`. */
export const CONVERT_DTYPES = /** @type {const} */ (['q8', 'fp16', 'fp32']);

/**
 * Tokenizer files copied unchanged when the source has them (a URL source only has the ones the
 * engine reads: tokenizer.json and tokenizer_config.json).
 */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt',
  'vocab.json', 'merges.txt', 'spiece.model', 'sentencepiece.bpe.model', 'added_tokens.json'];

/**
 * @typedef {object} ConvertOptionsExtra
 * @property {'q8' | 'fp16' | 'fp32'} dtype what to store the weights as
 * @property {string} [outDir] Node: write the converted folder here (created if needed) instead of returning the files
 * @property {boolean} [overwrite] replace model files already in `outDir` (default: an error)
 * @property {number} [threads] engine threads of the runtime used (default: as for models)
 * @property {{max_header_bytes?: number, max_tensors?: number}} [limits] the engine's safetensors limits
 * @typedef {ConvertOptionsExtra & import('./sources/index.js').SourceOptions} ConvertOptions
 */

/**
 * @typedef {object} ConvertResult
 * @property {'q8' | 'fp16' | 'fp32'} dtype
 * @property {Map<string, Uint8Array>} [files] without `outDir`: the converted folder (config.json,
 *   model.safetensors, tokenizer files), ready for `BertologyModel.load(files)` or for storing
 * @property {string} [outDir] with `outDir`: where the folder was written
 * @property {string[]} copied tokenizer files copied unchanged
 * @property {{int8: number, float16: number, bfloat16: number, float32: number, other: number}} tensors stored tensors by dtype
 *   (int8 ones without their scale tensors)
 * @property {number} input_bytes the source's weight files (all shards)
 * @property {number} output_bytes the new model.safetensors
 * @property {number} fp32_bytes the source's tensors with every float stored as float32 (the "fp32 file")
 * @property {number} ratio output_bytes / fp32_bytes
 */

/** @param {string} text */
const utf8 = (text) => new TextEncoder().encode(text);

/**
 * Converts a checkpoint (any model source: a directory in Node, a URL, a Hugging Face id, or files as
 * bytes) to `dtype`. Without `outDir` the converted files are returned in memory (everywhere); with
 * `outDir` (Node) they are written there, the weights tensor by tensor, never held whole.
 * @param {import('./sources/index.js').ModelSource} source
 * @param {ConvertOptions} options
 * @returns {Promise<ConvertResult>}
 */
export async function convertModel(source, options) {
  check(options && typeof options === 'object' && !Array.isArray(options), 'convertModel: options {dtype} are required');
  const known = [...LOAD_OPTIONS, 'outDir', 'overwrite'];
  for (const key of Object.keys(options)) {
    check(known.includes(key), `convertModel: unknown option "${key}"; known: ${known.join(', ')}`);
  }
  const { dtype, outDir, overwrite = false, threads, limits, ...sourceOptions } = options;
  check(CONVERT_DTYPES.includes(/** @type {any} */ (dtype)),
    `convertModel: dtype must be one of ${CONVERT_DTYPES.join(', ')}; got ${JSON.stringify(dtype)}`);
  check(outDir === undefined || (typeof outDir === 'string' && outDir.length > 0), 'convertModel: outDir must be a non-empty path');
  check(outDir === undefined || isNode(), 'convertModel: outDir needs Node; in browsers leave it out and use the returned files');
  const out = outDir === undefined ? null : prepareOutDir(outDir, source, overwrite);
  const [runtime, files] = await Promise.all([getRuntime({ threads }), openModelFiles(source, sourceOptions)]);
  const { module } = runtime;
  const operation = `convert(${files.label})`;
  const { store, readError } = createFileStore(module, files);
  /** @type {import('./engine-contract.js').EngineConverter | null} */
  let converter = null;
  try {
    const c = new module.Converter(store, JSON.stringify({ dtype, limits }));
    converter = c;
    const failed = c.error();
    if (failed) throw fileReadError(readError(), operation) ?? unwrap(failed, operation);
    const plan = unwrap(c.plan(), operation);
    const copied = await tokenizerFiles(source, files);
    const tensor = (/** @type {number} */ i) => {
      const bytes = c.tensor(i);
      const read = fileReadError(readError(), operation);
      if (read) throw read;
      return unwrap(bytes, operation);
    };
    const report = JSON.parse(plan.report);
    const result = {
      dtype, copied: [...copied.keys()], tensors: report.tensors, input_bytes: report.input_bytes,
      output_bytes: report.output_bytes, fp32_bytes: report.fp32_bytes, ratio: report.output_bytes / report.fp32_bytes,
    };
    if (out) {
      out.write(plan, unwrap(c.header(), operation), tensor, copied);
      return { ...result, outDir: out.dir };
    }
    const weights = new Uint8Array(plan.file_bytes);
    const header = unwrap(c.header(), operation);
    weights.set(header, 0);
    let at = header.byteLength;
    for (let i = 0; i < plan.tensors.length; i++) {
      const bytes = tensor(i);
      weights.set(bytes, at);
      at += bytes.byteLength;
    }
    /** @type {Map<string, Uint8Array>} */
    const map = new Map([[CONFIG, utf8(plan.config_json)], [WEIGHTS, weights]]);
    for (const [name, bytes] of copied) map.set(name, bytes);
    return { ...result, files: map };
  } finally {
    converter?.delete();
    store.delete();
    files.close();
  }
}

/**
 * The tokenizer files of the source, as bytes: the ones the source opened for the engine, plus the
 * other TOKENIZER_FILES of a local directory or of in-memory files.
 * @param {import('./sources/index.js').ModelSource} source
 * @param {import('./sources/common.js').ModelFiles} files
 * @returns {Promise<Map<string, Uint8Array>>}
 */
async function tokenizerFiles(source, files) {
  /** @type {Map<string, Uint8Array>} */
  const out = new Map();
  for (const name of TOKENIZER_FILES) {
    const entry = files.files.get(name);
    if (!entry) continue;
    const bytes = new Uint8Array(entry.size);
    if (entry.read(0, entry.size, bytes) !== entry.size) {
      throw new BertologyError(`convert(${files.label}): short read of ${name}`, { code: 'FILE_READ' });
    }
    out.set(name, bytes);
  }
  const dir = localDirectory(source);
  for (const name of TOKENIZER_FILES) {
    if (out.has(name)) continue;
    if (dir) {
      const fs = nodeModule('fs');
      const full = nodeModule('path').join(dir, name);
      if (fs.existsSync(full) && fs.statSync(full).isFile()) out.set(name, new Uint8Array(fs.readFileSync(full)));
    } else if (source instanceof Map || (source && typeof source === 'object' && !(source instanceof URL))) {
      const value = source instanceof Map ? source.get(name) : /** @type {any} */ (source)[name];
      if (typeof value === 'string') out.set(name, utf8(value));
      else if (value instanceof Uint8Array) out.set(name, value.slice());
      else if (value instanceof ArrayBuffer) out.set(name, new Uint8Array(value.slice(0)));
      else if (ArrayBuffer.isView(value)) out.set(name, new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice());
      else if (typeof Blob !== 'undefined' && value instanceof Blob) out.set(name, new Uint8Array(await value.arrayBuffer()));
    }
  }
  return out;
}

/**
 * The local directory a source names in Node (a path or a file: URL), else null.
 * @param {import('./sources/index.js').ModelSource} source
 * @returns {string | null}
 */
function localDirectory(source) {
  if (!isNode()) return null;
  let dir = null;
  if ((source instanceof URL && source.protocol === 'file:') || (typeof source === 'string' && /^file:/i.test(source))) {
    dir = nodeModule('url').fileURLToPath(source);
  } else if (typeof source === 'string' && !/^[a-z][a-z0-9+.-]+:/i.test(source)) {
    dir = source;
  }
  if (dir === null) return null;
  const fs = nodeModule('fs');
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? dir : null;
}

/**
 * Checks the output directory before any work: not the source itself, and no model files in it
 * unless `overwrite`. Returns the writer used once the conversion is planned.
 * @param {string} outDir
 * @param {import('./sources/index.js').ModelSource} source
 * @param {boolean} overwrite
 */
function prepareOutDir(outDir, source, overwrite) {
  const fs = nodeModule('fs');
  const path = nodeModule('path');
  const dir = path.resolve(outDir);
  const input = localDirectory(source);
  if (input && fs.existsSync(dir) && fs.realpathSync(input) === fs.realpathSync(dir)) {
    throw new BertologyError(`convert: the output directory is the input directory (${outDir}); choose another`,
      { code: 'INVALID_ARGUMENT' });
  }
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new BertologyError(`convert: ${outDir} exists and is not a directory`, { code: 'INVALID_ARGUMENT' });
  }
  const present = fs.existsSync(dir) ? [CONFIG, WEIGHTS, WEIGHTS_INDEX].filter((f) => fs.existsSync(path.join(dir, f))) : [];
  if (present.length > 0 && !overwrite) {
    throw new BertologyError(`convert: ${outDir} already holds ${present.join(', ')} (pass overwrite: true, or --overwrite, to replace them)`,
      { code: 'INVALID_ARGUMENT' });
  }
  return {
    dir,
    /**
     * Writes model.safetensors through a temporary file renamed at the end (an interrupted conversion
     * never leaves a truncated model.safetensors), then config.json and the tokenizer files.
     * @param {{tensors: unknown[], config_json: string}} plan
     * @param {Uint8Array} header
     * @param {(i: number) => Uint8Array} tensor
     * @param {Map<string, Uint8Array>} copied
     */
    write(plan, header, tensor, copied) {
      fs.mkdirSync(dir, { recursive: true });
      const partial = path.join(dir, `.${WEIGHTS}.${process.pid}.partial`);
      const fd = fs.openSync(partial, 'w');
      try {
        fs.writeSync(fd, header);
        for (let i = 0; i < plan.tensors.length; i++) {
          const bytes = tensor(i);
          // A view into wasm memory (shared in the threaded build): copy before handing it to fs.
          fs.writeSync(fd, bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice());
        }
        fs.closeSync(fd);
      } catch (e) {
        fs.closeSync(fd);
        fs.rmSync(partial, { force: true });
        throw e;
      }
      // A stale sharded index would shadow nothing for us but confuse other tools: remove it with its shards.
      const index = path.join(dir, WEIGHTS_INDEX);
      if (fs.existsSync(index)) {
        let shards = [];
        try {
          shards = [...new Set(Object.values(JSON.parse(fs.readFileSync(index, 'utf8')).weight_map ?? {}))];
        } catch { /* unreadable: only the index goes */ }
        for (const s of shards) if (typeof s === 'string' && !s.includes('/') && !s.includes('\\')) fs.rmSync(path.join(dir, s), { force: true });
        fs.rmSync(index, { force: true });
      }
      fs.renameSync(partial, path.join(dir, WEIGHTS));
      fs.writeFileSync(path.join(dir, CONFIG), plan.config_json);
      for (const [name, bytes] of copied) fs.writeFileSync(path.join(dir, name), bytes);
    },
  };
}
