// What a trainer writes: the Hugging Face folder save() returns (config.json with the new labels,
// model.safetensors, the tokenizer files) and the resume checkpoint (one safetensors file: the head,
// AdamW's moments, the engine's state, the options it was made with).

import { check } from '../errors.js';
import { nodeModule } from '../runtime.js';
import { bytesEntry } from '../sources/common.js';
import { baseTensorNames } from './checkpoint.js';
import { invalid } from './options.js';
import { float32Bytes, readHeader, toFloat32, writeSafetensors } from '../safetensors.js';

/**
 * The files of a Hugging Face *ForSequenceClassification / *ForTokenClassification folder.
 * @param {object} o
 * @param {import('./checkpoint.js').Checkpoint} o.ckpt the checkpoint trained from
 * @param {'sequence' | 'token'} o.kind
 * @param {string[]} o.labels
 * @param {number} o.dim hidden size
 * @param {import('./head.js').Transform | null} o.transform head only: the classifier's input transform
 * @param {import('./head.js').Head | null} o.head head only: the classifier
 * @param {{name: string, shape: ArrayLike<number | bigint>, data: Float32Array}[] | null} o.engineTensors engine
 *   training: the whole model as the engine exports it (HF names, LoRA merged)
 * @param {string} [dir] Node: also write the files there
 * @returns {Record<string, Uint8Array>}
 */
export function hfFolder({ ckpt, kind, labels, dim: D, transform, head, engineTensors }, dir) {
  const { family } = ckpt;
  const L = labels.length;
  /** @type {import('../safetensors.js').RawTensor[]} */
  const tensors = [];
  const f32 = (/** @type {string} */ name, /** @type {number[]} */ shape, /** @type {Float32Array} */ data) =>
    tensors.push({ name, dtype: 'F32', shape, bytes: float32Bytes(data) });
  if (engineTensors) {
    for (const t of engineTensors) tensors.push({ name: t.name, dtype: 'F32', shape: Array.from(t.shape, Number), bytes: float32Bytes(t.data) });
  } else {
    const headNames = new Set();
    const classifier = kind === 'sequence' ? family.classifier : 'classifier';
    if (kind === 'sequence') {
      const tr = /** @type {import('./head.js').Transform} */ (transform);
      headNames.add(`${tr.name}.weight`).add(`${tr.name}.bias`);
    }
    for (const { name, stored } of baseTensorNames(ckpt, kind)) {
      if (headNames.has(name)) continue;
      const t = /** @type {any} */ (ckpt.tensors.get(stored));
      tensors.push({ name, dtype: t.dtype, shape: t.shape, bytes: t.read() });
    }
    if (kind === 'sequence') {
      const tr = /** @type {import('./head.js').Transform} */ (transform);
      f32(`${tr.name}.weight`, [D, D], tr.weight);
      f32(`${tr.name}.bias`, [D], tr.bias);
    }
    const h = /** @type {import('./head.js').Head} */ (head);
    f32(`${classifier}.weight`, [L, D], h.W);
    f32(`${classifier}.bias`, [L], h.b);
  }
  tensors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const config = { ...ckpt.config };
  config.architectures = [`${family.stem}For${kind === 'sequence' ? 'Sequence' : 'Token'}Classification`];
  config.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  config.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
  delete config.num_labels;
  if (kind === 'sequence') config.problem_type = 'single_label_classification';
  else delete config.problem_type;
  // transformers reads `dtype` (formerly `torch_dtype`) as the weights' precision (dtype="auto" loads in it):
  // trained tensors are float32, frozen ones stay as stored, so the folder's is float32 as soon as one is.
  if (tensors.some((t) => t.dtype === 'F32')) {
    for (const key of ['dtype', 'torch_dtype']) if (key in config) config[key] = 'float32';
  }
  /** @type {Record<string, Uint8Array>} */
  const files = {
    'config.json': new TextEncoder().encode(`${JSON.stringify(config, null, 2)}\n`),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
  };
  for (const [name, bytes] of ckpt.extraFiles) files[name] = bytes;
  if (dir !== undefined) {
    check(typeof dir === 'string' && dir.length > 0, 'save: dir must be a directory path');
    const fs = nodeModule('fs');
    const path = nodeModule('path');
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), bytes);
  }
  return files;
}

/**
 * The resume checkpoint: head tensors and moments, the engine state, the transform, and `state` (JSON).
 * @param {import('./head.js').Head} h
 * @param {import('./head.js').Transform | null} transform
 * @param {Uint8Array | null} engineState
 * @param {Record<string, unknown>} state
 * @param {number} D
 * @param {number} L
 * @returns {Uint8Array}
 */
export function writeTrainerCheckpoint(h, transform, engineState, state, D, L) {
  /** @type {import('../safetensors.js').RawTensor[]} */
  const tensors = [
    ['W', [L, D], h.W], ['b', [L], h.b], ['mW', [L, D], h.mW], ['vW', [L, D], h.vW], ['mb', [L], h.mb], ['vb', [L], h.vb],
  ].map(([name, shape, data]) => ({ name: /** @type {string} */ (name), dtype: 'F32', shape: /** @type {number[]} */ (shape), bytes: float32Bytes(/** @type {Float32Array} */ (data)) }));
  if (engineState) tensors.push({ name: 'engine_state', dtype: 'U8', shape: [engineState.length], bytes: Uint8Array.from(engineState) });
  if (transform) {
    tensors.push({ name: 'transform.weight', dtype: 'F32', shape: [D, D], bytes: float32Bytes(transform.weight) });
    tensors.push({ name: 'transform.bias', dtype: 'F32', shape: [D], bytes: float32Bytes(transform.bias) });
  }
  return writeSafetensors(tensors, { bertology_trainer: '1', state: JSON.stringify(state) });
}

/**
 * Reads a checkpoint made by writeTrainerCheckpoint, refusing one made with other options.
 * @param {Uint8Array} bytes
 * @param {[string, unknown][]} mine the fields the checkpoint's options must equal (name, this trainer's value)
 * @returns {{state: any, get: (name: string) => Float32Array, engineState: Uint8Array | null}}
 */
export function readTrainerCheckpoint(bytes, mine) {
  check(bytes instanceof Uint8Array, 'Trainer.create: resume must be the Uint8Array from trainer.checkpoint()');
  const entry = bytesEntry(bytes);
  const { tensors, base } = readHeader(entry, 'checkpoint');
  const head = new Uint8Array(8);
  entry.read(0, 8, head);
  const len = Number(new DataView(head.buffer).getBigUint64(0, true));
  const meta = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))).__metadata__ ?? {};
  check(meta.bertology_trainer === '1', 'Trainer.create: resume is not a Bertology trainer checkpoint');
  const state = JSON.parse(meta.state);
  for (const [field, value] of mine) {
    if (JSON.stringify(state[field]) !== JSON.stringify(value)) {
      throw invalid(`Trainer.create: the checkpoint was made with ${field} ${JSON.stringify(state[field])}, these options say ${JSON.stringify(value)}`, { field });
    }
  }
  const get = (/** @type {string} */ name) => {
    const t = tensors.get(name);
    if (!t) throw invalid(`Trainer.create: the checkpoint lacks ${name}`);
    const [b, e] = t.data_offsets;
    return toFloat32(t.dtype, bytes.subarray(base + b, base + e), name);
  };
  const es = tensors.get('engine_state');
  return { state, get, engineState: es ? bytes.slice(base + es.data_offsets[0], base + es.data_offsets[1]) : null };
}
