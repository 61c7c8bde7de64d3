// The extension references no remote code: no remote script, module, worker or wasm URL, no inline
// script, no eval / new Function, and a CSP of script-src 'self' 'wasm-unsafe-eval'. Checked on the
// sources (examples/extension/), on a full build (the package's js/ and dist/ glue included), and
// the checker itself on bad examples so that a pass means something.
//
// Run: node --test tests/extension/no-remote-code.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SHARED } from '../js/helpers/shared.js';
import { buildExtension } from '../../scripts/build-extension.mjs';
import { scanForRemoteCode } from './helpers.mjs';

const DIST = process.env.BERTOLOGY_DIST ?? join(REPO, 'dist');

test('sources: no remote code', () => {
  assert.deepEqual(scanForRemoteCode(join(REPO, 'examples', 'extension')), []);
});

test('build (package js/ and wasm glue included): no remote code', {
  skip: (!existsSync(join(DIST, 'bertology-st.mjs')) && `${DIST} is not built (npm run build)`) ||
    (!existsSync(join(SHARED, 'models', 'bert-mini-sst2')) && 'shared model not found (set BERTOLOGY_SHARED)'),
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertology-ext-scan-'));
  try {
    // the build itself refuses glue that needs eval; the scan below checks everything it shipped
    buildExtension({ out: join(dir, 'bundled'), distDir: DIST, quiet: true });
    assert.deepEqual(scanForRemoteCode(join(dir, 'bundled')), []);
    buildExtension({ out: join(dir, 'url'), distDir: DIST, quiet: true, modelUrl: 'https://models.example/bert-mini-sst2/' });
    assert.deepEqual(scanForRemoteCode(join(dir, 'url')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the checker catches remote code', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertology-ext-bad-'));
  try {
    mkdirSync(join(dir, 'lib'));
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
      manifest_version: 3, background: { service_worker: 'https://cdn.example/sw.js' },
      content_security_policy: { extension_pages: "script-src 'self' 'wasm-unsafe-eval' https://cdn.example; object-src 'self'" },
    }));
    writeFileSync(join(dir, 'a.js'), [
      "import { x } from 'https://cdn.example/x.mjs';",
      "import 'https://cdn.example/side-effect.js';",
      "const m = await import('//cdn.example/m.js');",
      "importScripts('lib.js', 'https://cdn.example/w.js');",
      "new Worker(new URL('https://cdn.example/worker.js'));",
      "WebAssembly.instantiateStreaming(fetch('https://cdn.example/engine.wasm'));",
      "const f = new Function('return 1');",
      'eval("1");',
    ].join('\n'));
    writeFileSync(join(dir, 'lib', 'ok.js'), "export const re = /x/; obj.eval(1); const u = 'https://example.com/docs';\n");
    writeFileSync(join(dir, 'p.html'), '<script src="https://cdn.example/p.js"></script><script>alert(1)</script>' +
      '<link rel="stylesheet" href="http://cdn.example/s.css"><button onclick="x()">x</button>');
    const problems = scanForRemoteCode(dir);
    const expect = ['static import', 'bare import', 'dynamic import', 'importScripts', 'worker', 'script or wasm URL', 'eval',
      'remote script', 'inline script', 'remote link', 'inline event handler', 'script-src must be exactly', 'script https://cdn.example/sw.js'];
    for (const what of expect) assert.ok(problems.some((p) => p.includes(what)), `not caught: ${what}\n${problems.join('\n')}`);
    assert.ok(!problems.some((p) => p.startsWith('lib/ok.js')), 'harmless URLs and method names are not flagged');
    assert.equal(problems.filter((p) => p.includes(': eval:')).length, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
