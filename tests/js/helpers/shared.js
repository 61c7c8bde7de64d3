// Where the shared read-only assets are (BERTOLOGY_SHARED, default ../shared from the repo root),
// and small readers for them. Tests skip with SKIP_REASON when the assets are absent.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED = resolve(process.env.BERTOLOGY_SHARED ?? join(REPO, '..', 'shared'));
export const HAVE_SHARED = existsSync(join(SHARED, 'models')) && existsSync(join(SHARED, 'reference'));
/** false when the assets exist; otherwise the reason each test is skipped. */
export const SKIP_REASON = HAVE_SHARED ? false : `shared assets not found at ${SHARED} (set BERTOLOGY_SHARED)`;

/** @param {...string} parts */
export const sharedPath = (...parts) => join(SHARED, ...parts);

/** @param {...string} parts */
export const readSharedJson = (...parts) => JSON.parse(readFileSync(sharedPath(...parts), 'utf8'));

/** Names of the tiny random-weight model directories. */
export function tinyModels() {
  return HAVE_SHARED ? readdirSync(sharedPath('models', 'tiny')).sort() : [];
}

/**
 * The files of a shared model directory as an in-memory source (file name → bytes).
 * @param {string} dir absolute path
 * @param {string[]} [names] default: the model files present (not reference.safetensors)
 * @returns {Record<string, Uint8Array>}
 */
export function readModelFiles(dir, names) {
  const wanted = names ?? readdirSync(dir).filter((n) => n !== 'reference.safetensors');
  return Object.fromEntries(wanted.map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
}
