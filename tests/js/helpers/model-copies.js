// Temporary copies of shared models for task tests: new label names (an NLI model made from a
// classifier), a classifier cut to one output (a cross-encoder), a small WordPiece tokenizer for the
// tiny random models (their vocabulary has 1,000 ids), and sentence-transformers folders. The weights
// are linked or rewritten, never changed in value; the copies live in one temp directory.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, writeSafetensors } from './safetensors.js';
import { sharedPath } from './shared.js';

/** A temp directory for copies; `cleanup()` removes it. */
export function tempModels(prefix = 'bertology-tasks-') {
  const root = mkdtempSync(join(tmpdir(), prefix));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Copies a model directory: every file linked except config.json, which `editConfig` rewrites.
 * @param {string} from source directory
 * @param {string} to new directory
 * @param {(config: Record<string, any>) => void} [editConfig]
 * @param {{skip?: string[]}} [options] files not to link (the caller writes them)
 */
export function copyModel(from, to, editConfig, { skip = [] } = {}) {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) {
    if (f === 'config.json' || f === 'reference.safetensors' || skip.includes(f)) continue;
    symlinkSync(join(from, f), join(to, f));
  }
  const config = JSON.parse(readFileSync(join(from, 'config.json'), 'utf8'));
  editConfig?.(config);
  writeFileSync(join(to, 'config.json'), JSON.stringify(config, null, 2));
  return to;
}

/**
 * Sets id2label (and label2id in the same order) on a config.
 * @param {Record<string, any>} config
 * @param {string[]} labels label of id 0, 1, ...
 */
export function setLabels(config, labels) {
  config.id2label = Object.fromEntries(labels.map((l, i) => [String(i), l]));
  config.label2id = Object.fromEntries(labels.map((l, i) => [l, i]));
}

/**
 * A copy of a sequence classifier with only output `row` kept (classifier weight and bias rows):
 * its single logit equals the original model's logit `row`.
 * @param {string} from
 * @param {string} to
 * @param {number} row
 * @param {(config: Record<string, any>) => void} [editConfig]
 */
export function oneOutputCopy(from, to, row, editConfig) {
  const files = readdirSync(from);
  const shards = files.filter((f) => f.endsWith('.safetensors') && f !== 'reference.safetensors');
  const isHead = (/** @type {string} */ name) => /(^|\.)classifier\.(weight|bias)$|^classifier\.out_proj\.(weight|bias)$/.test(name);
  const owners = shards.filter((f) => parseSafetensors(readFileSync(join(from, f))).tensors.some((t) => isHead(t.name)));
  copyModel(from, to, (c) => {
    setLabels(c, ['LABEL_0']);
    delete c.problem_type;
    editConfig?.(c);
  }, { skip: owners });
  for (const f of owners) {
    const { tensors, metadata } = parseSafetensors(readFileSync(join(from, f)));
    const out = tensors.map((t) => {
      if (!isHead(t.name)) return t;
      const width = t.bytes.byteLength / t.shape[0];
      return { ...t, shape: [1, ...t.shape.slice(1)], bytes: t.bytes.slice(row * width, (row + 1) * width) };
    });
    writeFileSync(join(to, f), writeSafetensors(out, { metadata }));
  }
  return to;
}

/**
 * A WordPiece tokenizer.json for the tiny models (ids < 1,000): bert-base-uncased's rules with a
 * vocabulary of the special tokens, characters, "##" characters and the most frequent words.
 */
export function tinyTokenizerJson() {
  const base = JSON.parse(readFileSync(sharedPath('tokenizers', 'bert-base-uncased', 'tokenizer.json'), 'utf8'));
  const byId = Object.entries(base.model.vocab).sort((a, b) => /** @type {number} */ (a[1]) - /** @type {number} */ (b[1])).map(([t]) => t);
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789.,;:!?\'"()-&$%/'];
  const vocab = [...specials, ...chars, ...chars.filter((c) => /[a-z0-9]/.test(c)).map((c) => `##${c}`)];
  const seen = new Set(vocab);
  for (const t of byId.slice(1996)) {
    if (vocab.length >= 1000) break;
    if (!seen.has(t) && /^[a-z]+$/.test(t)) { vocab.push(t); seen.add(t); }
  }
  const ids = Object.fromEntries(vocab.map((t, i) => [t, i]));
  base.model.vocab = ids;
  base.added_tokens = base.added_tokens.map((/** @type {any} */ a) => ({ ...a, id: ids[a.content] }));
  base.post_processor = { type: 'BertProcessing', sep: ['[SEP]', ids['[SEP]']], cls: ['[CLS]', ids['[CLS]']] };
  return JSON.stringify(base);
}

/**
 * A copy of a tiny model with the small tokenizer.
 * @param {string} name tiny model directory name
 * @param {string} to
 * @param {(config: Record<string, any>) => void} [editConfig]
 */
export function tinyWithTokenizer(name, to, editConfig) {
  copyModel(sharedPath('models', 'tiny', name), to, (c) => { c.pad_token_id = 0; editConfig?.(c); });
  writeFileSync(join(to, 'tokenizer.json'), tinyTokenizerJson());
  writeFileSync(join(to, 'tokenizer_config.json'), JSON.stringify({ model_max_length: 64, do_lower_case: true }));
  return to;
}
