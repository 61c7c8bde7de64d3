// Writes a standard single-file checkpoint (model.safetensors) from a sharded one
// (model.safetensors.index.json + shards): the tensors of every shard, with their dtypes, shapes and
// bytes unchanged, under one header (sorted by name, offsets recomputed, padded to 8 bytes as
// Hugging Face's safetensors writer does), plus the model's other files (config, tokenizer).

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @param {string} src a sharded model directory
 * @param {string} dst the directory to write (created)
 * @param {{tokenizer?: boolean, tokenizerConfig?: boolean}} [options] which tokenizer files to copy (default both)
 */
export function mergeShards(src, dst, { tokenizer = true, tokenizerConfig = true } = {}) {
  mkdirSync(dst, { recursive: true });
  const index = JSON.parse(readFileSync(join(src, 'model.safetensors.index.json'), 'utf8'));
  const shards = [...new Set(Object.values(index.weight_map))].sort();
  /** @type {{name: string, dtype: string, shape: number[], bytes: Uint8Array}[]} */
  const tensors = [];
  /** @type {Record<string, string> | undefined} */
  let metadata;
  for (const shard of shards) {
    const buf = readFileSync(join(src, /** @type {string} */ (shard)));
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    metadata ??= header.__metadata__;
    for (const [name, t] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const [a, b] = /** @type {any} */ (t).data_offsets;
      tensors.push({ name, dtype: /** @type {any} */ (t).dtype, shape: /** @type {any} */ (t).shape, bytes: buf.subarray(8 + n + a, 8 + n + b) });
    }
  }
  tensors.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
  /** @type {Record<string, any>} */
  const header = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(join(dst, 'model.safetensors'), Buffer.concat([length, json, ...tensors.map((t) => t.bytes)]));
  const copies = ['config.json', ...(tokenizer ? ['tokenizer.json'] : []), ...(tokenizerConfig ? ['tokenizer_config.json'] : [])];
  for (const f of copies) if (existsSync(join(src, f))) writeFileSync(join(dst, f), readFileSync(join(src, f)));
  return join(dst, 'model.safetensors');
}
