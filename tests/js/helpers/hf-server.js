// A local stand-in for the Hugging Face hub on 127.0.0.1 (web/dev-server.mjs underneath), serving
// the shared models in the hub's layout `/{org}/{name}/resolve/{revision}/{file}`:
//   /shared/{name}/resolve/main/{file}    → $BERTOLOGY_SHARED/models/{name}/{file}
//   /tiny/{name}/resolve/main/{file}      → $BERTOLOGY_SHARED/models/tiny/{name}/{file}
// plus misbehaving orgs for error tests (the {name} part still picks the shared model):
//   /html/…         every file is a 200 text/html page (a single-page-app fallback)
//   /html-json/…    HTML with content-type application/json
//   /nolength/…     bodies without Content-Length (chunked)
//   /noshard/…      the second shard of a sharded model is 404
//   /etag/…         X-Linked-Etag: "<sha256>" on .safetensors (as the hub does for LFS files)
//   /badetag/…      X-Linked-Etag with a wrong sha256
//   /e500/…         HTTP 500 for config.json
// Only revision "main" exists.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer } from '../../../web/dev-server.mjs';
import { sharedPath } from './shared.js';

const HTML = '<!DOCTYPE html>\n<html><head><title>App</title></head><body>single-page app</body></html>\n';

/** @param {string} org @param {string} name @param {string} file */
export function modelFilePath(org, name, file) {
  return org === 'tiny' ? sharedPath('models', 'tiny', name, file) : sharedPath('models', name, file);
}

/** @type {Map<string, string>} */
const hashes = new Map();
/** @param {string} path */
export function sha256File(path) {
  let h = hashes.get(path);
  if (!h) {
    h = createHash('sha256').update(readFileSync(path)).digest('hex');
    hashes.set(path, h);
  }
  return h;
}

/**
 * @param {{coi?: boolean, extraRoots?: Record<string, string>}} [options]
 */
export async function startHubServer({ coi = false, extraRoots = {} } = {}) {
  const server = await startDevServer({
    roots: { '/__none__/': sharedPath('models', '__none__'), ...extraRoots },
    coi,
    handler: (req, res, url) => {
      const m = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (!m) return false;
      const [, org, name, revision, file] = m.map(decodeURIComponent);
      const notFound = () => { res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found'); return true; };
      if (org === 'html' || org === 'html-json') {
        res.writeHead(200, { 'Content-Type': org === 'html' ? 'text/html; charset=utf-8' : 'application/json' }).end(HTML);
        return true;
      }
      if (org === 'e500' && file === 'config.json') {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Internal Server Error');
        return true;
      }
      if (revision !== 'main') return notFound();
      const path = modelFilePath(org, name, file);
      if (!existsSync(path) || !statSync(path).isFile() || file === 'reference.safetensors') return notFound();
      if (org === 'noshard' && /-00002-of-/.test(file)) return notFound();
      const bytes = readFileSync(path);
      /** @type {Record<string, string>} */
      const headers = { 'Content-Type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' };
      if (file.endsWith('.safetensors') && (org === 'etag' || org === 'badetag')) {
        headers['X-Linked-Etag'] = `"${org === 'etag' ? sha256File(path) : '0'.repeat(64)}"`;
      }
      if (org === 'nolength') {
        res.writeHead(200, headers);
        // in several chunks, without Content-Length (Transfer-Encoding: chunked)
        const step = Math.max(1, Math.ceil(bytes.length / 5));
        for (let i = 0; i < bytes.length; i += step) res.write(bytes.subarray(i, i + step));
        res.end();
        return true;
      }
      headers['Content-Length'] = String(bytes.length);
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return true;
    },
  });
  return server;
}

/** Names of a model's files in the order the loader requests them, with their sizes. */
export function modelFileSizes(/** @type {string} */ org, /** @type {string} */ name) {
  const dir = org === 'tiny' ? sharedPath('models', 'tiny', name) : sharedPath('models', name);
  const sizes = new Map();
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', 'model.safetensors']) {
    if (existsSync(join(dir, f))) sizes.set(f, statSync(join(dir, f)).size);
  }
  if (sizes.has('model.safetensors.index.json')) {
    sizes.delete('model.safetensors');
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    for (const s of new Set(Object.values(index.weight_map))) sizes.set(s, statSync(join(dir, /** @type {string} */ (s))).size);
  }
  return sizes;
}
