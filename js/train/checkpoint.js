// The starting checkpoint of a trainer (the files a model was loaded from, read again) and what a
// Hugging Face *ForSequenceClassification / *ForTokenClassification of its architecture holds:
// tensor names, the base-model prefix, the head's layers. Names and shapes follow transformers'
// modeling code (checked in tests against folders saved by transformers).

import { BertologyError } from '../errors.js';
import { openModelFiles, CONFIG, WEIGHTS, WEIGHTS_INDEX } from '../files.js';
import { readText } from '../sources/common.js';
import { readHeader, toFloat32 } from '../safetensors.js';

/**
 * One architecture family: its transformers class name stem, the base model's attribute name
 * (`base_model_prefix`), the first names of base-model tensors saved without the prefix (a bare
 * *Model checkpoint), and the sequence-classification head: an optional dense `transform` from the
 * first token's hidden state (with its activation) and the final `classifier` layer.
 * @typedef {object} Family
 * @property {string} stem
 * @property {string} prefix
 * @property {string[]} bare
 * @property {{name: string, bare?: string, act: 'tanh' | 'relu'}} transform
 * @property {string} classifier sequence classification's output layer
 * @property {boolean} seqPooler whether *ForSequenceClassification keeps `<prefix>.pooler.*`
 */

/** @type {Record<string, Family>} */
export const FAMILIES = {
  bert: { stem: 'Bert', prefix: 'bert', bare: ['embeddings.', 'encoder.', 'pooler.'],
    transform: { name: 'bert.pooler.dense', bare: 'pooler.dense', act: 'tanh' }, classifier: 'classifier', seqPooler: true },
  distilbert: { stem: 'DistilBert', prefix: 'distilbert', bare: ['embeddings.', 'transformer.'],
    transform: { name: 'pre_classifier', act: 'relu' }, classifier: 'classifier', seqPooler: false },
  roberta: { stem: 'Roberta', prefix: 'roberta', bare: ['embeddings.', 'encoder.', 'pooler.'],
    transform: { name: 'classifier.dense', act: 'tanh' }, classifier: 'classifier.out_proj', seqPooler: false },
  'xlm-roberta': { stem: 'XLMRoberta', prefix: 'roberta', bare: ['embeddings.', 'encoder.', 'pooler.'],
    transform: { name: 'classifier.dense', act: 'tanh' }, classifier: 'classifier.out_proj', seqPooler: false },
  camembert: { stem: 'Camembert', prefix: 'roberta', bare: ['embeddings.', 'encoder.', 'pooler.'],
    transform: { name: 'classifier.dense', act: 'tanh' }, classifier: 'classifier.out_proj', seqPooler: false },
  albert: { stem: 'Albert', prefix: 'albert', bare: ['embeddings.', 'encoder.', 'pooler.'],
    transform: { name: 'albert.pooler', bare: 'pooler', act: 'tanh' }, classifier: 'classifier', seqPooler: true },
};

/**
 * @typedef {object} Checkpoint
 * @property {Record<string, any>} config config.json as written
 * @property {Family} family
 * @property {Map<string, {file: string, dtype: string, shape: number[], read: () => Uint8Array}>} tensors by stored name
 * @property {Map<string, Uint8Array>} extraFiles tokenizer files, copied into a saved folder
 * @property {(name: string) => {shape: number[], data: Float32Array} | null} float a tensor as float32 (stored or bare name)
 */

/**
 * Reads the checkpoint a model was loaded from: every tensor's header (bytes read on demand) and the
 * tokenizer files.
 * @param {import('../files.js').ModelSource} source
 * @param {object} options the source options the model was loaded with
 * @returns {Promise<Checkpoint>}
 */
export async function readCheckpoint(source, options) {
  const files = await openModelFiles(source, /** @type {any} */ (options));
  try {
    const configEntry = files.files.get(CONFIG);
    if (!configEntry) throw new BertologyError(`${files.label}: no ${CONFIG}`, { code: 'FILE_NOT_FOUND' });
    const config = JSON.parse(readText(configEntry));
    const family = FAMILIES[config.model_type];
    if (!family) {
      throw new BertologyError(`Trainer: model_type "${config.model_type}" cannot be trained yet (supported: ${Object.keys(FAMILIES).join(', ')})`,
        { code: 'INVALID_ARGUMENT' });
    }
    /** @type {Checkpoint['tensors']} */
    const tensors = new Map();
    /** @type {Map<string, Uint8Array>} */
    const extraFiles = new Map();
    for (const [name, entry] of files.files) {
      if (name === CONFIG || name === WEIGHTS_INDEX) continue;
      if (!name.endsWith('.safetensors')) {
        const bytes = new Uint8Array(entry.size);
        entry.read(0, entry.size, bytes);
        extraFiles.set(name, bytes);
        continue;
      }
      if (name !== WEIGHTS && !files.files.has(WEIGHTS_INDEX)) continue;
      const { tensors: headers, base } = readHeader(entry, name);
      for (const [tname, h] of headers) {
        const [begin, end] = h.data_offsets;
        const bytes = new Uint8Array(end - begin);
        entry.read(base + begin, end - begin, bytes);  // read now: the files close when this returns
        tensors.set(tname, { file: name, dtype: h.dtype, shape: h.shape, read: () => bytes });
      }
    }
    const float = (/** @type {string} */ name) => {
      const t = tensors.get(name);
      return t ? { shape: t.shape, data: toFloat32(t.dtype, t.read(), name) } : null;
    };
    return { config, family, tensors, extraFiles, float };
  } finally {
    files.close();
  }
}

/**
 * The base model's tensors under the names a *For{Sequence,Token}Classification model expects:
 * prefixed base tensors are kept, bare ones (a *Model checkpoint) get the prefix, heads are dropped
 * (MLM, QA, classifiers, pooler where the class has none).
 * @param {Checkpoint} ckpt
 * @param {'sequence' | 'token'} kind
 * @returns {{name: string, stored: string}[]}
 */
export function baseTensorNames(ckpt, kind) {
  const { prefix, bare, seqPooler } = ckpt.family;
  const keepPooler = kind === 'sequence' && seqPooler;
  /** @type {{name: string, stored: string}[]} */
  const out = [];
  for (const stored of ckpt.tensors.keys()) {
    let name = null;
    if (stored.startsWith(`${prefix}.`)) name = stored;
    else if (bare.some((p) => stored.startsWith(p))) name = `${prefix}.${stored}`;
    if (!name) continue;
    if (name.startsWith(`${prefix}.pooler`) && !keepPooler) continue;
    if (/\.position_ids$/.test(name)) continue;
    out.push({ name, stored });
  }
  return out;
}
