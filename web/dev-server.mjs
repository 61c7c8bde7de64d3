#!/usr/bin/env node
// A tiny static file server for tests and the demo: 127.0.0.1 only, correct MIME types (including
// application/wasm and text/javascript for .mjs), optional cross-origin isolation headers, and HTTP
// Range requests as static hosts answer them (progressive weights fetch word-embedding rows by Range).
//
//   node web/dev-server.mjs [--port 8080] [--no-coi] [--root /=.] [--root /models/=../shared/models]
//
//   import { startDevServer } from 'bertology/web/dev-server.mjs';
//   const server = await startDevServer({ roots: { '/': repoDir }, coi: true });
//   server.url      // 'http://127.0.0.1:PORT/'
//   server.requests // every request: {method, url, status}
//   await server.close();
//
// With `coi: true` every response carries Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp, so pages are cross-origin isolated
// (`crossOriginIsolated === true`, SharedArrayBuffer available → the threaded wasm build).
//
// Range (RFC 9110 §14) on files: one range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) → 206 with Content-Range;
// an unsatisfiable one (starting at or past the end, `bytes=-0`) → 416 with `Content-Range: bytes */size`;
// several ranges or a header that does not parse → the whole file (200), as a server may ignore Range.
// Every file answer says `Accept-Ranges: bytes`.

import { createServer } from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.jsonl': 'application/jsonl; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream',
};

/**
 * What a `Range` header asks of a file of `size` bytes: [first, last] (inclusive) for one satisfiable
 * byte range, 'unsatisfiable', or null to answer with the whole file (no Range, several ranges, another
 * unit, a malformed header).
 * @param {string | undefined} header
 * @param {number} size
 * @returns {[number, number] | 'unsatisfiable' | null}
 */
function byteRange(header, size) {
  if (typeof header !== 'string') return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') { // the last n bytes (satisfiable for n > 0; of an empty file: the empty file, 200)
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const first = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < first) return null; // not a valid range: ignored
  if (first >= size) return 'unsatisfiable';
  return [first, m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)];
}

/**
 * @typedef {object} DevServerOptions
 * @property {Record<string, string>} [roots] URL prefix → directory, e.g. {'/': '.', '/models/': '../shared/models'};
 *   the longest matching prefix wins
 * @property {boolean} [coi] send COOP/COEP (cross-origin isolation); default true
 * @property {number} [port] default 0 (any free port)
 * @property {Record<string, string>} [headers] extra headers on every response
 * @property {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL) =>
 *   boolean | Promise<boolean>} [handler] custom routes, tried first; return true when handled
 * @property {(pathname: string) => string | null} [rewrite] maps a request path to a file path (before roots)
 * @property {boolean} [log] print each request to stderr
 */

/**
 * @param {DevServerOptions} [options]
 * @returns {Promise<{url: string, port: number, requests: {method: string, url: string, status: number}[],
 *   server: import('node:http').Server, close: () => Promise<void>}>}
 */
export async function startDevServer(options = {}) {
  const { roots = { '/': process.cwd() }, coi = true, port = 0, headers = {}, handler, rewrite, log = false } = options;
  const mounts = Object.entries(roots)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : `${prefix}/`, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  /** @type {{method: string, url: string, status: number}[]} */
  const requests = [];

  /** @param {import('node:http').ServerResponse} res */
  const common = (res) => {
    if (coi) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  };

  /**
   * @param {string} pathname decoded
   * @returns {string | null} a file path inside a root, or null
   */
  const locate = (pathname) => {
    for (const [prefix, dir] of mounts) {
      if (!pathname.startsWith(prefix) && `${pathname}/` !== prefix) continue;
      const rest = pathname.slice(prefix.length);
      const file = resolve(dir, `.${sep}${rest}`);
      if (file !== dir && !file.startsWith(dir + sep)) return null; // path traversal
      return file;
    }
    return null;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.on('finish', () => {
      requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, status: res.statusCode });
      if (log) process.stderr.write(`${res.statusCode} ${req.method} ${url.pathname}\n`);
    });
    common(res);
    try {
      if (handler && await handler(req, res, url)) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      let pathname;
      try {
        pathname = decodeURIComponent(url.pathname);
      } catch {
        res.writeHead(400).end('bad path');
        return;
      }
      if (pathname.includes('\0')) {
        res.writeHead(400).end('bad path');
        return;
      }
      let file = rewrite?.(pathname) ?? locate(pathname);
      if (!file) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      let stat = await fsp.stat(file).catch(() => null);
      if (stat?.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${url.pathname}/${url.search}` }).end();
          return;
        }
        file = join(file, 'index.html');
        stat = await fsp.stat(file).catch(() => null);
      }
      if (!stat?.isFile()) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
        return;
      }
      const type = MIME_TYPES[/** @type {keyof MIME_TYPES} */ (extname(file).toLowerCase())] ?? 'application/octet-stream';
      const range = byteRange(req.headers.range, stat.size);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { 'Accept-Ranges': 'bytes', 'Content-Range': `bytes */${stat.size}` }).end();
        return;
      }
      const [first, last] = range ?? [0, stat.size - 1];
      /** @type {Record<string, string>} */
      const head = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': String(last + 1 - first) };
      if (range) head['Content-Range'] = `bytes ${first}-${last}/${stat.size}`;
      res.writeHead(range ? 206 : 200, head);
      if (req.method === 'HEAD' || last < first) { // HEAD, or an empty file
        res.end();
        return;
      }
      createReadStream(file, { start: first, end: last }).on('error', () => res.destroy()).pipe(res);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(String(/** @type {Error} */ (e)?.message ?? e));
    }
  });
  // An idle keep-alive connection is closed by the client, never by this server: a client in the same
  // process (the tests) whose event loop was busy past the server's keep-alive timeout (Node's default:
  // 5 s; e.g. synchronous engine loads and forward passes) reuses the connection before either side's
  // timer has run, and a server closing it then resets that request (ECONNRESET). close() ends them all.
  server.keepAliveTimeout = 0;
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    requests,
    server,
    close: () => new Promise((ok) => {
      server.close(() => ok(undefined));
      server.closeAllConnections?.();
    }),
  };
}

// CLI
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  /** @type {Record<string, string>} */
  const roots = {};
  let port = 8080;
  let coi = true;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--port') port = Number(args[++i]);
    else if (a === '--no-coi') coi = false;
    else if (a === '--coi') coi = true;
    else if (a === '--root') {
      const spec = args[++i];
      const eq = spec.indexOf('=');
      if (eq < 0) roots['/'] = spec;
      else roots[spec.slice(0, eq)] = spec.slice(eq + 1);
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node web/dev-server.mjs [--port N] [--no-coi] [--root PREFIX=DIR]...');
      process.exit(0);
    } else {
      console.error(`unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (Object.keys(roots).length === 0) roots['/'] = process.cwd();
  const s = await startDevServer({ roots, coi, port, log: true });
  console.log(`serving ${JSON.stringify(roots)} at ${s.url} (cross-origin isolation ${coi ? 'on' : 'off'})`);
}
