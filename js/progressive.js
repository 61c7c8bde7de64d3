// Progressive weights: the engine is loaded with the word-embedding table's rows pending (load option
// defer_word_embeddings), and rows are filled in as the remote source makes their bytes readable —
// those a call needs first (`ensure`), then the rest when the whole file has arrived (`complete`).
// The source's side of the contract (FileEntry.deferred) is described in js/sources/common.js.
//
// Every engine call that reads rows goes through `fillAvailable` (synchronous: the rows whose bytes are
// readable now) or `ensure` (asynchronous: waits for the source, then fills). Fills are synchronous, so
// two calls waiting on the same rows never fill one twice: after each wait, only rows still pending are
// filled. A failed fill leaves its rows pending in the engine (it stays exact) and rejects the call.

import { BertologyError, unwrap } from './errors.js';
import { mark } from './runtime/host.js';

/** Rows filled per engine call when the whole table has arrived (a yield to the event loop between). */
const COMPLETE_CHUNK_ROWS = 4096;

/** @typedef {import('./sources/common.js').DeferredTensor} DeferredTensor the source's side of the contract */

export class ProgressiveTable {
  /**
   * @param {() => import('./engine-contract.js').EngineModel | null} handle the model's engine handle (null once disposed)
   * @param {DeferredTensor} deferred
   * @param {() => void} [onSettled] called once the table is complete or has failed for good (releases the files)
   */
  constructor(handle, deferred, onSettled = () => {}) {
    this.handle = handle;
    this.deferred = deferred;
    this.rows = Math.round((deferred.end - deferred.begin) / deferred.rowBytes);
    /** JS's copy of which rows the engine holds (the engine checks too: NOT_READY). */
    this.present = new Uint8Array(this.rows);
    this.pending = this.rows; // the engine starts with every row pending
    /** @type {Map<number, Promise<void>>} rows whose bytes a call is waiting for */
    this.inflight = new Map();
    /** the first call that waits for rows sets the marks rows-wait and rows-ready (time to first result) */
    this.marked = false;
    this.complete = this.#whenComplete(onSettled);
    this.complete.catch(() => {}); // a rejection is reported to callers that need the rows, never unhandled
  }

  /** Rows of `ids` (token ids) still pending, sorted and unique. @param {ArrayLike<number>} ids */
  missing(ids) {
    if (this.pending === 0) return [];
    /** @type {Set<number>} */
    const rows = new Set();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id >= 0 && id < this.rows && !this.present[id]) rows.add(id);
    }
    return [...rows].sort((a, b) => a - b);
  }

  /**
   * Fills the pending rows among `rows` whose bytes are readable now; returns the rows still pending.
   * Throws the engine's error (rows stay pending) when a fill fails.
   * @param {number[]} rows sorted
   */
  fillAvailable(rows) {
    const { begin, rowBytes } = this.deferred;
    /** @type {number[]} */
    const left = [];
    let first = -1;
    let end = -1;
    const flush = () => {
      if (first >= 0) this.#fill(first, end - first);
      first = -1;
    };
    for (const row of rows) {
      if (this.present[row]) continue;
      if (!this.deferred.has(begin + row * rowBytes, begin + (row + 1) * rowBytes)) {
        flush();
        left.push(row);
      } else if (first >= 0 && row === end) {
        end++;
      } else {
        flush();
        first = row;
        end = row + 1;
      }
    }
    flush();
    return left;
  }

  /**
   * Makes the rows of `ids` present: fills what is readable now, asks the source for the rest, then fills
   * them. Rejects with the source's typed error (NETWORK, ABORTED, BAD_RESPONSE) or the engine's.
   * @param {ArrayLike<number>} ids
   * @returns {Promise<void>}
   */
  async ensure(ids) {
    let rows = this.fillAvailable(this.missing(ids));
    const first = rows.length > 0 && !this.marked;
    if (first) {
      this.marked = true;
      mark('rows-wait');
    }
    while (rows.length > 0) {
      if (!this.handle()) throw disposed();
      const { begin, rowBytes } = this.deferred;
      /** @type {Array<[number, number]>} */
      const ranges = [];
      /** @type {Set<Promise<void>>} */
      const waits = new Set();
      for (const row of rows) {
        const wait = this.inflight.get(row);
        if (wait) { waits.add(wait); continue; }
        const last = ranges[ranges.length - 1];
        if (last && last[1] === begin + row * rowBytes) last[1] += rowBytes;
        else ranges.push([begin + row * rowBytes, begin + (row + 1) * rowBytes]);
      }
      if (ranges.length > 0) {
        const wait = Promise.resolve().then(() => this.deferred.ensure(ranges));
        for (const row of rows) if (!this.inflight.has(row)) this.inflight.set(row, wait);
        wait.catch(() => {}).finally(() => {
          for (const row of rows) if (this.inflight.get(row) === wait) this.inflight.delete(row);
        });
        waits.add(wait);
      }
      await Promise.all(waits);
      if (!this.handle()) throw disposed();
      const still = this.fillAvailable(this.missing(rows));
      if (still.length >= rows.length) {
        // The source said the bytes were readable but they are not: a broken source, not a wait.
        throw new BertologyError(`forward: row ${still[0]} of the word embeddings ('${this.deferred.name}') is still not readable ` +
          'after the source said it was', { code: 'INTERNAL', operation: 'forward' });
      }
      rows = still;
    }
    if (first) mark('rows-ready');
  }

  /** @param {number} first @param {number} count */
  #fill(first, count) {
    const handle = this.handle();
    if (!handle) throw disposed();
    const failed = handle.fillWordEmbeddings(first, count);
    if (failed) unwrap(failed, 'fillWordEmbeddings'); // the rows stay pending
    for (let r = first; r < first + count; r++) {
      if (!this.present[r]) { this.present[r] = 1; this.pending--; }
    }
  }

  /** @param {() => void} onSettled */
  async #whenComplete(onSettled) {
    try {
      // The rows whose bytes have already arrived, a chunk at a time between the calls that run meanwhile.
      for (let first = 0; first < this.rows && this.pending > 0; first += COMPLETE_CHUNK_ROWS) {
        await nextTask();
        if (!this.handle()) throw disposed();
        const rows = [];
        for (let r = first; r < Math.min(this.rows, first + COMPLETE_CHUNK_ROWS); r++) if (!this.present[r]) rows.push(r);
        this.fillAvailable(rows);
      }
      await this.deferred.complete;
      for (let first = 0; first < this.rows && this.pending > 0; first += COMPLETE_CHUNK_ROWS) {
        if (!this.handle()) throw disposed();
        const count = Math.min(COMPLETE_CHUNK_ROWS, this.rows - first);
        const rows = [];
        for (let r = first; r < first + count; r++) if (!this.present[r]) rows.push(r);
        if (rows.length > 0) this.#fill(rows[0], rows[rows.length - 1] + 1 - rows[0]);
        await nextTask();
      }
      const handle = this.handle();
      if (handle && handle.pendingWordEmbeddings() !== 0) {
        throw new BertologyError('the word embeddings are still incomplete after the whole file arrived', { code: 'INTERNAL' });
      }
    } finally {
      onSettled();
    }
  }
}

/** @returns {Promise<void>} after the tasks queued now (calls waiting to run go first) */
function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function disposed() {
  return new BertologyError('model used after dispose()', { code: 'DISPOSED' });
}
