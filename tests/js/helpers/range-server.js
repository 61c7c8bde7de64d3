// A static file server on 127.0.0.1 for progressive-weights tests that answers HTTP Range requests
// the way ordinary static hosts do (one range: 206 + Content-Range, Accept-Ranges: bytes; past the
// end: 416) and can misbehave on purpose, per file:
//   hold(path, offset)   answers for `path` that would send byte `offset` (full GETs, and ranges that start
//                        before it and end after it) stop there until `release()` (or `cut()`: the
//                        connection is closed there); ranges wholly after it are answered at once
//   ignoreRange          every Range request is answered 200 with the whole file (a server without Range)
//   rangeStatus(path, s) Range requests of `path` are answered with status s (404, 416, 500)
//   truncate(path, n)    full GETs of `path` send n bytes and then close the connection
//   linkedEtag           .safetensors answers carry X-Linked-Etag: "<sha256>" (as the Hugging Face hub's)
// Every request is logged: {path, range, status, sent, closed} (`sent` bytes of body; `closed` when the
// client went away before the body was complete).

import { createHash } from 'node:crypto';
import http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

/**
 * @typedef {{path: string, range: string | null, status: number, sent: number, total: number, closed: boolean}} LogEntry
 */

/**
 * @param {Record<string, string>} roots URL prefix (e.g. '/m/') → directory
 */
export async function startRangeServer(roots) {
  /** @type {LogEntry[]} */
  const log = [];
  /** @type {Map<string, {offset: number, gate: Promise<boolean>, release: () => void, cut: () => void, reached: Promise<void>, arrived: () => void}>} */
  const holds = new Map();
  /** @type {Map<string, number>} */
  const rangeStatus = new Map();
  /** @type {Map<string, number>} */
  const truncated = new Map();
  /** @type {Map<string, Buffer>} */
  const cache = new Map();
  const state = { ignoreRange: false, linkedEtag: false };

  /** @param {string} pathname */
  const locate = (pathname) => {
    for (const [prefix, dir] of Object.entries(roots)) {
      if (!pathname.startsWith(prefix)) continue;
      const file = normalize(join(dir, pathname.slice(prefix.length)));
      if (!file.startsWith(dir)) return null;
      try {
        if (statSync(file).isFile()) return file;
      } catch {
        return null;
      }
    }
    return null;
  };

  /** X-Linked-Etag for a .safetensors file when `state.linkedEtag` (on every answer, ranges too) @param {string} file @param {Buffer} bytes */
  const linked = (file, bytes) => (state.linkedEtag && file.endsWith('.safetensors')
    ? { 'X-Linked-Etag': `"${createHash('sha256').update(bytes).digest('hex')}"` } : {});

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const pathname = decodeURIComponent(url.pathname);
    const range = typeof req.headers.range === 'string' ? req.headers.range : null;
    /** @type {LogEntry} */
    const entry = { path: pathname, range, status: 0, sent: 0, total: 0, closed: false };
    log.push(entry);
    const file = locate(pathname);
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    let bytes = cache.get(file);
    if (!bytes) {
      bytes = readFileSync(file);
      cache.set(file, bytes);
    }
    const type = file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.on('close', () => { entry.closed = !res.writableFinished; });
    const m = range && !state.ignoreRange ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (range && !state.ignoreRange) {
      const forced = rangeStatus.get(pathname);
      if (forced) {
        entry.status = forced;
        res.writeHead(forced, { 'Content-Type': 'text/plain', ...(forced === 416 ? { 'Content-Range': `bytes */${bytes.length}` } : {}) })
          .end(`status ${forced}`);
        return;
      }
    }
    const hold = holds.get(pathname);
    /** @param {number} a @param {number} b */
    const send = async (a, b) => {
      for (let at = a; at < b && !res.destroyed; at += 1 << 16) {
        const chunk = bytes.subarray(at, Math.min(b, at + (1 << 16)));
        entry.sent += chunk.length;
        if (!res.write(chunk)) {
          await new Promise((ok) => {
            const done = () => { res.off('drain', done); res.off('close', done); ok(undefined); };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      }
    };
    /** sends [a, b), stopping at a hold inside it; false when the hold cut the connection @param {number} a @param {number} b */
    const sendHeld = async (a, b) => {
      if (!hold || hold.offset <= a || hold.offset >= b) {
        await send(a, b);
        return true;
      }
      await send(a, hold.offset);
      hold.arrived();
      if (!await hold.gate) {
        res.destroy();
        return false;
      }
      await send(hold.offset, b);
      return true;
    };
    if (m) {
      const start = Number(m[1]);
      const end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
      if (start >= bytes.length || end < start) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${bytes.length}` }).end();
        return;
      }
      entry.status = 206;
      entry.total = end + 1 - start;
      res.writeHead(206, { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${bytes.length}`,
        'Content-Length': String(end + 1 - start), ...linked(file, bytes) });
      if (await sendHeld(start, end + 1)) res.end();
      return;
    }
    entry.status = 200;
    entry.total = bytes.length;
    /** @type {Record<string, string>} */
    const headers = { 'Content-Type': type, 'Accept-Ranges': 'bytes', 'Content-Length': String(bytes.length) };
    res.writeHead(200, { ...headers, ...linked(file, bytes) });
    const cut = truncated.get(pathname);
    if (cut !== undefined) {
      await send(0, cut);
      res.destroy();
      return;
    }
    if (await sendHeld(0, bytes.length)) res.end();
  });
  // idle keep-alive connections are the client's to close (web/dev-server.mjs says why: no ECONNRESET
  // when the test's event loop was busy past a server-side timeout)
  server.keepAliveTimeout = 0;
  await new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    state,
    /**
     * Full GETs of `path` stop after `offset` bytes until release().
     * @param {string} path @param {number} offset
     */
    hold(path, offset) {
      /** @type {(go: boolean) => void} */
      let open = () => {};
      /** @type {() => void} */
      let arrived = () => {};
      const gate = new Promise((ok) => { open = ok; });
      const reached = new Promise((ok) => { arrived = () => ok(undefined); });
      const h = { offset, gate: /** @type {Promise<boolean>} */ (gate), release: () => open(true), cut: () => open(false),
        reached: /** @type {Promise<void>} */ (reached), arrived };
      holds.set(path, h);
      return h;
    },
    /** @param {string} path @param {number} status */
    rangeStatus(path, status) { rangeStatus.set(path, status); },
    /** @param {string} path @param {number} n */
    truncate(path, n) { truncated.set(path, n); },
    reset() {
      for (const h of holds.values()) h.release();
      holds.clear();
      rangeStatus.clear();
      truncated.clear();
      state.ignoreRange = false;
      state.linkedEtag = false;
      log.length = 0;
    },
    close: () => {
      for (const h of holds.values()) h.release();
      server.closeAllConnections?.();
      return new Promise((ok) => server.close(() => ok(undefined)));
    },
  };
}
