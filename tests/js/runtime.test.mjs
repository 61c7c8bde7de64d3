// The runtime: one module per thread count, reused; pthread workers never keep Node alive (a
// script that loads a model and runs it exits by itself, without calling shutdown()).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BertologyError, getRuntime } from '../../js/index.js';
import { REPO, SKIP_REASON, sharedPath } from './helpers/shared.js';

test('runtime: created once per thread count', async () => {
  const [a, b] = await Promise.all([getRuntime({ threads: 2 }), getRuntime({ threads: 2 })]);
  assert.equal(a, b);
  assert.equal(a.threads, 2);
  assert.notEqual(await getRuntime({ threads: 1 }), a);
  await assert.rejects(getRuntime({ threads: 0 }), BertologyError);
});

test('runtime: a script exits by itself after using 2 threads', { skip: SKIP_REASON }, () => new Promise((resolve, reject) => {
  const index = pathToFileURL(join(REPO, 'js', 'index.js')).href;
  const dir = sharedPath('models', 'bert-mini-sst2');
  const script = `import { BertologyModel } from ${JSON.stringify(index)};
    const m = await BertologyModel.load(${JSON.stringify(dir)}, { threads: 2 });
    console.log(JSON.stringify(m.classify('a great , moving film .')[0]));`;
  const started = Date.now();
  execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) => {
    if (err) return reject(new Error(`script did not exit cleanly (${err.signal ?? err.code}): ${stderr}`));
    assert.equal(JSON.parse(stdout).label, 'POSITIVE');
    assert.ok(Date.now() - started < 30_000);
    resolve(undefined);
  });
}));

test('runtime: no process-wide uncaughtException / unhandledRejection handlers are installed', () => new Promise((resolve, reject) => {
  const index = pathToFileURL(join(REPO, 'js', 'index.js')).href;
  const script = `import { getRuntime } from ${JSON.stringify(index)};
    const count = () => process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
    const before = count();
    await getRuntime({ threads: 1 });
    await getRuntime({ threads: 2 });
    console.log(JSON.stringify({ before, after: count() }));`;
  execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 }, (err, stdout, stderr) => {
    if (err) return reject(new Error(`script failed: ${stderr}`));
    const { before, after } = JSON.parse(stdout);
    assert.equal(after, before, 'the wasm glue added process-wide handlers');
    resolve();
  });
}));
