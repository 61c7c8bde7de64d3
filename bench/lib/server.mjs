// A tiny static server for the Chromium half of the benchmark, on 127.0.0.1 only, with the
// headers that make pages cross-origin isolated (SharedArrayBuffer, i.e. wasm threads):
// COOP same-origin + COEP require-corp (+ CORP same-origin on every response).
//   /bench/...   bench/browser/ and bench/lib/ of this repository
//   /pkg/js/, /pkg/dist/  the package (the run's snapshot of js/ and dist/)
//   /ort/...     node_modules/onnxruntime-web/dist/
//   /models/...  the materialized models (bench/out/models/)

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.onnx': 'application/octet-stream',
  '.safetensors': 'application/octet-stream', '.map': 'application/json',
};

/**
 * @param {{root: string, modelsDir: string, pkgDir?: string, extra?: Record<string, string>}} dirs  (pkgDir: holds js/
 *   and dist/; default root. extra: more mounts, URL prefix → directory)
 * @returns {Promise<{url: string, close: () => Promise<void>}>}
 */
export async function startServer({ root, modelsDir, pkgDir, extra = {} }) {
  const mounts = [
    ['/bench/browser/', path.join(root, 'bench/browser')],
    ['/bench/lib/', path.join(root, 'bench/lib')],
    ['/pkg/js/', path.join(pkgDir ?? root, 'js')],
    ['/pkg/dist/', path.join(pkgDir ?? root, 'dist')],
    ['/js/', path.join(root, 'js')],  // js/engine-contract.js (bench/lib/common.mjs imports it)
    ['/ort/', path.join(root, 'node_modules/onnxruntime-web/dist')],
    ['/models/', modelsDir],
    ...Object.entries(extra),
  ];
  const server = http.createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
    const url = new URL(req.url ?? '/', 'http://x');
    if (process.env.BENCH_SERVER_LOG) console.error(`[server] ${req.method} ${req.url}`);
    let pathname = decodeURIComponent(url.pathname);
    if (pathname === '/') pathname = '/bench/browser/page.html';
    if (pathname.endsWith('/')) pathname += 'index.html';
    const mount = mounts.find(([prefix]) => pathname.startsWith(prefix));
    const file = mount ? path.join(mount[1], pathname.slice(mount[0].length)) : null;
    if (!file || !file.startsWith(mount[1] + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, {
      ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': size,
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
