// The package-size bound (issues 14 and 18): every wasm variant in dist/ is at most 1 MB (1,000,000 B)
// raw. docs/build.md "Package size" says how the size is kept and how to find what grew
// (tools/wasm_size.py).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO } from './helpers/shared.js';

const LIMIT = 1_000_000;
const VARIANTS = ['bertology.wasm', 'bertology-st.wasm', 'bertology-relaxed.wasm', 'bertology-st-relaxed.wasm'];
const missing = VARIANTS.filter((f) => !existsSync(join(REPO, 'dist', f)));
const skip = missing.length > 0 && `dist/ is not built (npm run build): ${missing.join(', ')} missing`;

test('wasm size: every variant is at most 1 MB raw', { skip }, (t) => {
  for (const f of VARIANTS) {
    const bytes = readFileSync(join(REPO, 'dist', f));
    t.diagnostic(`dist/${f}: ${bytes.length.toLocaleString('en-US')} B raw, ` +
      `${gzipSync(bytes, { level: 9 }).length.toLocaleString('en-US')} B gzip -9`);
    assert.ok(bytes.length <= LIMIT,
      `dist/${f} is ${bytes.length.toLocaleString('en-US')} B, over the 1 MB bound (${LIMIT.toLocaleString('en-US')} B): ` +
      'see docs/build.md "Package size" (python3 tools/wasm_size.py)');
  }
});
