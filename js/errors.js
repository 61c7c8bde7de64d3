// Errors thrown by the JS API. The wasm engine reports failures as `{error: "what failed, where"}`
// values; `unwrap` turns each into a thrown BertologyError that keeps the engine's message verbatim.

/**
 * Error codes used by the JS layer. `ENGINE` is any failure reported by the wasm engine; the others
 * are detected in JS before the engine is called. Model sources add: `NETWORK` (fetch failed or an
 * HTTP error other than 404; `url`, `status` set), `BAD_RESPONSE` (e.g. an HTML page where JSON or
 * weights were expected), `INTEGRITY` (SHA-256 mismatch). `FILE_NOT_FOUND` from a URL sets `url`, `status`.
 * @typedef {'ENGINE' | 'INVALID_ARGUMENT' | 'FILE_NOT_FOUND' | 'FILE_READ' | 'DISPOSED' | 'RUNTIME' |
 *   'NETWORK' | 'BAD_RESPONSE' | 'INTEGRITY' | 'WORKER'} BertologyErrorCode
 */

export class BertologyError extends Error {
  /**
   * @param {string} message
   * @param {{code?: BertologyErrorCode, cause?: unknown, operation?: string}} [options]
   */
  constructor(message, { code = 'ENGINE', cause, operation } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BertologyError';
    /** @type {BertologyErrorCode} */
    this.code = code;
    /** The JS operation that failed (e.g. "loadModel", "tokenize", "forward"), if known. */
    this.operation = operation;
  }
}

/**
 * Returns `result` unless it carries an engine error, in which case throws a BertologyError whose
 * message is "<operation>: <engine message>".
 * @template T
 * @param {T | {error: string}} result value returned by an Embind call
 * @param {string} operation what the JS layer was doing, e.g. "loadModel"
 * @returns {T}
 */
export function unwrap(result, operation) {
  if (result == null) {
    throw new BertologyError(`${operation}: the engine returned no result`, { code: 'ENGINE', operation });
  }
  if (typeof result === 'object' && typeof (/** @type {any} */ (result).error) === 'string') {
    const engineMessage = /** @type {{error: string}} */ (result).error;
    // The engine's messages usually start with the operation already ("forward: ...").
    const message = engineMessage.startsWith(`${operation}:`) ? engineMessage : `${operation}: ${engineMessage}`;
    throw new BertologyError(message, {
      code: 'ENGINE', operation, cause: { engineMessage },
    });
  }
  return /** @type {T} */ (result);
}

/**
 * Throws an INVALID_ARGUMENT error when `condition` is false.
 * @param {unknown} condition
 * @param {string} message
 * @returns {asserts condition}
 */
export function check(condition, message) {
  if (!condition) throw new BertologyError(message, { code: 'INVALID_ARGUMENT' });
}
