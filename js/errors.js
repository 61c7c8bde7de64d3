// Errors thrown by the JS API. The wasm engine reports failures as `{error, code, details?}` values
// (src/bindings/js_values.h, ErrorObject); `unwrap` turns each into a thrown BertologyError that keeps
// the engine's message verbatim and its code.

/**
 * Error codes, listed once in the engine contract (src/bindings/engine_contract.json, errorCodes; see
 * js/engine-contract.js). The engine's (a failure inside the wasm engine, src/core/status.h StatusCode):
 * `INVALID_ARGUMENT` (the request or options are malformed), `LIMIT` (an input exceeds a limit: the
 * load option `limits.*` or the model's maximum length), `BAD_CHECKPOINT` (config.json, weights or
 * tokenizer files are malformed or disagree), `UNSUPPORTED` (a model type, activation … this engine
 * does not implement), `FILE_NOT_FOUND`, `FILE_READ`, `OUT_OF_MEMORY`, `INTERNAL` (a bug), `NOT_READY`
 * (progressive loading: word-embedding rows not downloaded yet). The JS
 * layer's own: `DISPOSED` (used after dispose()), `RUNTIME` (the wasm module cannot load), `WORKER`;
 * model sources add `NETWORK` (fetch failed or an HTTP error other than 404; `url`, `status` set),
 * `BAD_RESPONSE` (e.g. an HTML page where JSON or weights were expected), `INTEGRITY` (SHA-256
 * mismatch); `FILE_NOT_FOUND` from a URL sets `url`, `status`. Training (js/train/) adds `ABORTED` (a
 * run's signal fired) and `NUMERIC` (the loss became NaN or infinite).
 * @typedef {import('./engine-contract.js').ErrorCode} BertologyErrorCode
 */

/**
 * What an engine call returns instead of its result when it fails (src/bindings/js_values.h).
 * @typedef {import('./engine-contract.js').EngineError} EngineError
 */

/**
 * Structured facts the engine attaches to some failures (each optional): file, field, tensor, limit.
 * @typedef {import('./engine-contract.js').EngineErrorDetails} EngineErrorDetails
 */

export class BertologyError extends Error {
  /**
   * @param {string} message
   * @param {{code?: BertologyErrorCode, cause?: unknown, operation?: string, details?: EngineErrorDetails}} [options]
   */
  constructor(message, { code = 'INTERNAL', cause, operation, details } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'BertologyError';
    /** @type {BertologyErrorCode} */
    this.code = code;
    /** The JS operation that failed (e.g. "loadModel", "tokenize", "forward"), if known. */
    this.operation = operation;
    /** @type {EngineErrorDetails | undefined} structured facts from the engine, when it gave any */
    this.details = details;
    // The same facts as top-level fields (err.file, err.field, err.tensor, err.limit), as the JS
    // layer's own LIMIT / INVALID_ARGUMENT errors set them.
    if (details?.file !== undefined) {
      /** @type {string | undefined} the file at fault */
      this.file = details.file;
    }
    if (details?.field !== undefined) {
      /** @type {string | undefined} the tensor or JSON field at fault */
      this.field = details.field;
    }
    if (details?.tensor !== undefined) {
      /** @type {string | undefined} the tensor at fault (= field when the field is a tensor) */
      this.tensor = details.tensor;
    }
    if (details?.limit !== undefined) {
      /** @type {string | undefined} the limit exceeded (a `limits.*` name) */
      this.limit = details.limit;
    }
  }
}

/**
 * Returns `result` unless it carries an engine error, in which case throws a BertologyError whose
 * message is "<operation>: <engine message>" and whose code is the engine's.
 * @template T
 * @param {T} result value returned by an Embind call (its result or an EngineError)
 * @param {string} operation what the JS layer was doing, e.g. "loadModel"
 * @returns {Exclude<T, EngineError>}
 */
export function unwrap(result, operation) {
  if (result == null) {
    throw new BertologyError(`${operation}: the engine returned no result`, { code: 'INTERNAL', operation });
  }
  if (typeof result === 'object' && typeof (/** @type {any} */ (result).error) === 'string') {
    const { error: engineMessage, code, details } = /** @type {EngineError} */ (/** @type {unknown} */ (result));
    // The engine's messages usually start with the operation already ("forward: ...").
    const message = engineMessage.startsWith(`${operation}:`) ? engineMessage : `${operation}: ${engineMessage}`;
    throw new BertologyError(message, {
      code: code ?? 'INTERNAL', operation, cause: { engineMessage }, details,
    });
  }
  return /** @type {Exclude<T, EngineError>} */ (result);
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
