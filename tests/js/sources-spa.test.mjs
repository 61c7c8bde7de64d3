// Model folders served over HTTP without a directory listing, by a plain static server (404 for a
// missing file) and by hosts that rewrite unknown paths to their index.html (single-page apps, Vite's
// dev server): with a content type text/html, and with a misleading one (the body is the only clue).
// Every combination the loader supports must load — sharded (index + shards) or a single
// model.safetensors, with tokenizer.json + tokenizer_config.json, with tokenizer.json only, without
// tokenizer files — giving the same logits as the shared model loaded from its directory (the
// oracle: the sharded checkpoint, which tests/js/parity-bert-mini.test.mjs checks against Hugging Face),
// and no progress events for files taken as absent. A required file answered with an HTML page is
// still a BAD_RESPONSE error, and missing weights say what the server answered.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertologyError, BertologyModel } from '../../js/index.js';
import { startDevServer } from '../../web/dev-server.mjs';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';
import { mergeShards } from './helpers/merge-shards.js';

const skip = SKIP_REASON;
const TEXT = 'a great , moving film .';
const SOURCE = () => sharedPath('models', 'bert-mini-sst2');
const SHARDS = ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
const INDEX_HTML = '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>App</title></head><body><div id="app"></div></body></html>\n';

/** Folder name → its files (besides config.json). */
const FOLDERS = {
  'sharded': [...SHARDS, 'tokenizer.json', 'tokenizer_config.json'],
  'sharded-tokenizer-json-only': [...SHARDS, 'tokenizer.json'],
  'sharded-no-tokenizer': SHARDS,
  'single': ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json'],
  'single-tokenizer-json-only': ['model.safetensors', 'tokenizer.json'],
  'single-no-tokenizer': ['model.safetensors'],
};

/** @type {string} */
let root;
/** @type {{logits: number[], ids: number[][]}} */
let oracle;
/** @type {Record<string, Awaited<ReturnType<typeof startDevServer>>>} */
const servers = {};

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'bertology-spa-'));
  const merged = join(root, '.merged');
  mergeShards(SOURCE(), merged);
  for (const [name, files] of Object.entries(FOLDERS)) {
    const dir = join(root, name);
    mkdirSync(dir);
    for (const f of ['config.json', ...files]) {
      writeFileSync(join(dir, f), readFileSync(join(f === 'model.safetensors' ? merged : SOURCE(), f)));
    }
  }
  const model = await BertologyModel.load(SOURCE(), { threads: 1 });
  const ids = [Array.from(model.tokenize(TEXT).ids)];
  oracle = { ids, logits: Array.from(/** @type {any} */ (model.forward({ input_ids: ids })).logits.data) };
  model.dispose();
  const roots = { '/models/': root };
  servers.plain = await startDevServer({ roots, coi: false });
  /** @param {string} type */
  const spa = (type) => startDevServer({
    roots, coi: false,
    // anything that is not a file is answered with the app's page, as single-page-app hosts do
    handler: async (req, res, url) => {
      const file = join(root, decodeURIComponent(url.pathname).replace(/^\/models\//, ''));
      try {
        if (url.pathname.startsWith('/models/') && !file.includes('..') && readFileSync(file)) return false;
      } catch { /* not a file */ }
      res.writeHead(200, { 'Content-Type': type }).end(req.method === 'HEAD' ? undefined : INDEX_HTML);
      return true;
    },
  });
  servers.spa = await spa('text/html; charset=utf-8');
  servers['spa-wrong-type'] = await spa('application/octet-stream');
});

after(async () => {
  for (const s of Object.values(servers)) await s.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

for (const host of ['plain', 'spa', 'spa-wrong-type']) {
  describe(`served by a ${host} host without directory listing`, { skip }, () => {
    for (const [name, files] of Object.entries(FOLDERS)) {
      test(`${name}`, async () => {
        /** @type {any[]} */
        const events = [];
        const model = await BertologyModel.load(`${servers[host].url}models/${name}/`,
          { threads: 1, progress_callback: (e) => events.push(e) });
        try {
          assert.equal(model.info.has_tokenizer, files.includes('tokenizer.json'));
          const logits = Array.from(/** @type {any} */ (model.forward({ input_ids: oracle.ids })).logits.data);
          assert.deepEqual(logits, oracle.logits, 'the same weights as the sharded checkpoint');
          if (model.info.has_tokenizer) assert.equal(model.classify(TEXT)[0].label, 'POSITIVE');
          const reported = new Set(events.filter((e) => e.file).map((e) => e.file));
          assert.deepEqual([...reported].sort(), ['config.json', ...files].sort(), 'events only for the files that exist');
        } finally {
          model.dispose();
        }
      });
    }
  });
}

describe('an HTML page where a required file should be', { skip }, () => {
  test('config.json answered with the app page: BAD_RESPONSE', async () => {
    for (const host of ['spa', 'spa-wrong-type']) {
      await assert.rejects(BertologyModel.load(`${servers[host].url}models/no-such-model/`, { threads: 1 }),
        (e) => e instanceof BertologyError && e.code === 'BAD_RESPONSE' && /config\.json/.test(e.message) && /HTML/.test(e.message));
    }
  });

  test('a shard answered with the app page: BAD_RESPONSE', async () => {
    const dir = join(root, 'sharded-missing-shard');
    mkdirSync(dir, { recursive: true });
    for (const f of ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors']) {
      writeFileSync(join(dir, f), readFileSync(join(SOURCE(), f)));
    }
    await assert.rejects(BertologyModel.load(`${servers.spa.url}models/sharded-missing-shard/`, { threads: 1 }),
      (e) => e instanceof BertologyError && e.code === 'BAD_RESPONSE' && /model-00002-of-00002\.safetensors/.test(e.message));
  });

  test('no weights at all: FILE_NOT_FOUND naming what the server answered', async () => {
    const dir = join(root, 'no-weights');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), readFileSync(join(SOURCE(), 'config.json')));
    await assert.rejects(BertologyModel.load(`${servers.spa.url}models/no-weights/`, { threads: 1 }),
      (e) => e instanceof BertologyError && e.code === 'FILE_NOT_FOUND' && /an HTML page/.test(e.message) &&
        /model\.safetensors\.index\.json/.test(e.message));
    await assert.rejects(BertologyModel.load(`${servers.plain.url}models/no-weights/`, { threads: 1 }),
      (e) => e instanceof BertologyError && e.code === 'FILE_NOT_FOUND' && /HTTP 404/.test(e.message));
  });
});

describe('the same folders as local directories', { skip }, () => {
  for (const name of Object.keys(FOLDERS)) {
    test(name, async () => {
      const model = await BertologyModel.load(join(root, name), { threads: 1 });
      const logits = Array.from(/** @type {any} */ (model.forward({ input_ids: oracle.ids })).logits.data);
      assert.deepEqual(logits, oracle.logits);
      model.dispose();
    });
  }
});
