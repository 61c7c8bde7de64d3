// The optional files of a sentence-transformers model (its "modules"), fetched by every source kind
// through the same FileGetter as the model's own files: modules.json, config_sentence_transformers.json
// and sentence_bert_config.json at the root, then per module of modules.json the files that module
// reads (Pooling: config.json; Dense: config.json + model.safetensors). What the files mean and how
// they are applied: js/pipelines/sentence-transformers.js.

import { BertologyError } from '../errors.js';
import { readText } from './common.js';

export const MODULES = 'modules.json';
export const ST_CONFIG = 'config_sentence_transformers.json';
export const ST_TRANSFORMER_CONFIG = 'sentence_bert_config.json';

/** The module types whose folders hold files we read, and those files. */
const MODULE_FILES = /** @type {Record<string, string[]>} */ ({
  Pooling: ['config.json'],
  Dense: ['config.json', 'model.safetensors'],
});

/** `sentence_transformers.models.Pooling` → `Pooling`. @param {unknown} type */
export function moduleKind(type) {
  return typeof type === 'string' ? type.split('.').at(-1) ?? type : '';
}

/**
 * A module folder from modules.json must be a plain relative path ("1_Pooling", "" for the root).
 * @param {unknown} path
 * @returns {path is string}
 */
export function isModulePath(path) {
  return typeof path === 'string' && (path === '' || path.split('/').every((s) => /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(s) && s !== '..'));
}

/**
 * Parses modules.json (a list of {idx, name, path, type}).
 * @param {string} text
 * @param {string} where for messages
 * @returns {{idx?: number, name?: string, path: string, type: string}[]}
 */
export function parseModulesJson(text, where) {
  let list;
  try {
    list = JSON.parse(text);
  } catch (cause) {
    throw new BertologyError(`${MODULES} (${where}): invalid JSON (${/** @type {Error} */ (cause).message})`, { code: 'BAD_CHECKPOINT', cause });
  }
  if (!Array.isArray(list) || !list.every((m) => m && typeof m === 'object' && typeof m.type === 'string' && isModulePath(m.path ?? ''))) {
    throw new BertologyError(`${MODULES} (${where}): expected a list of {path, type} with plain relative paths`, { code: 'BAD_CHECKPOINT' });
  }
  return list.map((m) => ({ ...m, path: m.path ?? '' }));
}

/**
 * Gets the sentence-transformers files that exist: the root files, then each module's files (a
 * Dense layer's weights are required once modules.json names it). Resolves to name → entry.
 * @param {import('./common.js').FileGetter} get
 * @param {string} where for messages
 * @returns {Promise<Map<string, import('./common.js').FileEntry>>}
 */
export async function collectModuleFiles(get, where) {
  /** @type {Map<string, import('./common.js').FileEntry>} */
  const files = new Map();
  const [modules, config, transformer] = await Promise.all([get(MODULES, false), get(ST_CONFIG, false), get(ST_TRANSFORMER_CONFIG, false)]);
  if (config) files.set(ST_CONFIG, config);
  if (transformer) files.set(ST_TRANSFORMER_CONFIG, transformer);
  if (!modules) return files;
  files.set(MODULES, modules);
  const wanted = [];
  for (const m of parseModulesJson(readText(modules), where)) {
    const names = MODULE_FILES[moduleKind(m.type)];
    if (!names || m.path === '') continue;
    for (const n of names) wanted.push(`${m.path}/${n}`);
  }
  const entries = await Promise.all(wanted.map(async (name) => {
    const required = !name.endsWith('/model.safetensors');
    const entry = await get(name, required);
    if (!entry && !required) {
      throw new BertologyError(`sentence-transformers model (${where}): ${name} not found. Bertology reads Dense weights from `
        + 'safetensors only; older models store them as pytorch_model.bin (a pickle): convert that folder with '
        + 'sentence-transformers (model.save(path, safe_serialization=True)) or safetensors\' save_file', { code: 'FILE_NOT_FOUND' });
    }
    return entry;
  }));
  wanted.forEach((name, i) => files.set(name, /** @type {import('./common.js').FileEntry} */ (entries[i])));
  return files;
}
