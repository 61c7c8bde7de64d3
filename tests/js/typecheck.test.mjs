// The package's JavaScript type-checks: TypeScript (npm devDependency) runs `tsc -p tsconfig.json`, i.e.
// --checkJs over js/ with `strict`, and must report 0 errors. The JSDoc types are the oracle of what
// each function accepts and returns; keep them true when you change js/.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from './helpers/shared.js';

const run = promisify(execFile);
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const skip = (!existsSync(TSC) && 'typescript is not installed (npm ci)') ||
  (!existsSync(join(REPO, 'dist', 'bertology.d.mts')) && 'dist/ is not built (npm run build)');

test('tsc --checkJs over js/ (strict): 0 errors', { skip, timeout: 300_000 }, async () => {
  const { stdout, stderr, code } = await run(process.execPath, [TSC, '-p', join(REPO, 'tsconfig.json'), '--pretty', 'false'],
    { cwd: REPO, maxBuffer: 64 << 20 }).then((r) => ({ ...r, code: 0 }), (e) => ({ stdout: e.stdout, stderr: e.stderr, code: e.code }));
  const errors = `${stdout}${stderr}`.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(code, 0, `tsc failed (exit ${code}):\n${stdout}${stderr}`);
  assert.deepEqual(errors, []);
});
