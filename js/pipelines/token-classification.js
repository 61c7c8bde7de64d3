// token-classification / ner: Hugging Face's TokenClassificationPipeline — pre-entities (special
// tokens dropped, sub-words flagged), word-level aggregation (first / average / max), B-/I- grouping
// (simple and the word-level strategies), then `ignore_labels` filtering; with `stride`, long texts run
// as overlapping windows whose entities are merged by Hugging Face's rule (aggregate_overlapping_entities:
// of entities that overlap, the longer wins, then the higher score).
// ELECTRA discriminators (ElectraForPreTraining, head replaced_token_detection) run here too: each token
// is labelled "replaced" or "original" with that label's probability (sigmoid of its one logit) — the
// discriminator's per-token verdict, in the same result shapes (every aggregation strategy applies).

import { check } from '../errors.js';
import { wordPieceTokensToString } from '../tokenizer.js';
import { codePointSpan, forwardBatched, ensureIdsWeights, forwardIds, isIdsInput, Pipeline, rowStart, softmaxRow, textInputs, withExtras } from './common.js';
import { codePointToUtf16 } from '../offsets.js';
import { maxLengthOption, textWindows, withMetadata } from './long-text.js';

/**
 * One token (aggregation_strategy "none").
 * @typedef {object} TokenClassificationOutput
 * @property {string} entity label
 * @property {number} score
 * @property {number} index token position in the encoding ([CLS] is 0)
 * @property {string} word the token
 * @property {number | null} start JS string index in the input (null for token-id inputs)
 * @property {number | null} end
 */

/**
 * A group of tokens or words (every other strategy).
 * @typedef {object} TokenClassificationGroup
 * @property {string} entity_group label without its B-/I- prefix
 * @property {number} score mean of the members' scores
 * @property {string} word the members' tokens joined as text
 * @property {number} start
 * @property {number} end
 */

/**
 * @typedef {object} TokenClassificationOptions
 * @property {'none' | 'simple' | 'first' | 'average' | 'max'} [aggregation_strategy] default "none"
 * @property {string[]} [ignore_labels] default ["O"]
 * @property {number} [stride] long texts: run overlapping windows of the model's length sharing `stride`
 *   tokens and merge their entities as Hugging Face does (needs an aggregation strategy other than "none");
 *   without it, texts are truncated (`metadata.truncated` says so)
 * @property {number} [max_length] window / truncation length in tokens (default: the model's limit, as Hugging
 *   Face's tokenizer.model_max_length)
 * @property {boolean} [return_metadata] make each result's {tokens, max_length, truncated, chunks} enumerable
 */

const STRATEGIES = ['none', 'simple', 'first', 'average', 'max'];

/** The labels of ELECTRA's discriminator: index 1 = sigmoid(logit), the probability of "replaced". */
export const REPLACED_TOKEN_LABELS = ['original', 'replaced'];

/**
 * Per-token label probabilities from a [batch, seq, labels] logits tensor (softmax) or, for ELECTRA's
 * discriminator, a [batch, seq] one ([1 - p, p], p = sigmoid).
 * @param {{data: ArrayLike<number>, dims: number[]}} logits
 * @param {boolean} discriminator
 * @returns {{seq: number, scores: (row: number) => Float64Array}}
 */
function tokenScores(logits, discriminator) {
  const seq = logits.dims[1];
  if (discriminator) {
    return {
      seq,
      scores: (row) => {
        const p = 1 / (1 + Math.exp(-logits.data[row]));
        return Float64Array.of(1 - p, p);
      },
    };
  }
  const labels = logits.dims[2];
  return { seq, scores: (row) => softmaxRow(logits.data, row * labels, labels) };
}

/**
 * @typedef {object} PreEntity
 * @property {string} word
 * @property {Float64Array} scores
 * @property {number | null} start code points
 * @property {number | null} end
 * @property {number} index
 * @property {boolean} is_subword
 */

/** @typedef {{entity: string, score: number, word: string, start: number | null, end: number | null, index?: number}} Entity */

export class TokenClassificationPipeline extends Pipeline {
  static OPTIONS = ['aggregation_strategy', 'ignore_labels', 'stride', 'max_length', 'return_metadata'];

  /**
   * @param {string | string[] | import('./common.js').IdsInput} inputs
   * @param {TokenClassificationOptions & import('./common.js').OutputOptions} [options]
   */
  async _call(inputs, options) {
    const opts = this.options(options);
    const strategy = String(opts.aggregation_strategy ?? 'none').toLowerCase();
    check(STRATEGIES.includes(strategy), `token-classification: aggregation_strategy must be one of ${STRATEGIES.join(', ')}`);
    const ignore = opts.ignore_labels ?? ['O'];
    check(Array.isArray(ignore), 'token-classification: ignore_labels must be an array of labels');
    const { id2label, head } = this.model.info;
    const discriminator = head === 'replaced_token_detection';
    const label = (/** @type {number} */ k) => (discriminator ? REPLACED_TOKEN_LABELS[k] : id2label?.[String(k)] ?? `LABEL_${k}`);
    const unkId = this.tokenizer?.unk_token_id ?? null;
    const wordPiece = this.tokenizer?.is_wordpiece ?? false;

    const { stride } = opts;
    if (stride !== undefined && stride !== null) {
      check(Number.isInteger(stride) && stride >= 0, `token-classification: stride must be a non-negative integer, got ${stride}`);
      check(strategy !== 'none', 'token-classification: stride runs the whole text in windows and merges entities, which needs '
        + 'aggregation_strategy "simple", "first", "average" or "max" (not "none"), as in Hugging Face');
    }

    /** @type {any[]} entities per encoding (window) */
    const results = [];
    /** @type {string[] | null} */
    let texts = null;
    /** @type {import('../model.js').Encoding[]} */
    let encodings = [];
    /** @type {number[]} the text each encoding belongs to */
    let owner = [];
    const onRow = (/** @type {number} */ i, /** @type {any} */ out, /** @type {number} */ b) => {
      const { seq, scores } = tokenScores(out.logits, discriminator);
      const start = rowStart(out, b);  // left padding (XLNet): the encoding's token t is at start + t
      /** @type {PreEntity[]} */
      const pre = [];
      if (texts) {
        const e = encodings[i];
        const text = texts[owner[i]];
        const cps = Array.from(text);
        const toUtf16 = codePointToUtf16(text);
        for (let t = 0; t < e.ids.length; t++) {
          if (e.sequence_ids[t] < 0) continue; // special tokens
          const [s, en] = codePointSpan(e, t);
          let word = e.tokens[t];
          const wordRef = cps.slice(s, en).join('');
          // WordPiece marks continuations ("##"), so a token is a sub-word when its text differs in
          // length from the span it covers; other vocabularies fall back to "no space before it".
          let isSubword = wordPiece
            ? Array.from(word).length !== en - s
            : s > 0 && !cps.slice(s - 1, s + 1).join('').includes(' ');
          if (unkId !== null && e.ids[t] === unkId) {
            word = wordRef;
            isSubword = false;
          }
          pre.push({
            word, scores: scores(b * seq + start + t), index: t, is_subword: isSubword,
            start: toUtf16 ? toUtf16[s] : s, end: toUtf16 ? toUtf16[en] : en,
          });
        }
      } else {
        const mask = out.attention_mask.data;
        for (let t = 0; t < seq; t++) {
          if (!mask[b * seq + t]) continue;
          pre.push({
            word: this.model.idToToken(out.input_ids.data[b * seq + t]), scores: scores(b * seq + t),
            index: t - start, is_subword: false, start: null, end: null,
          });
        }
      }
      const toString = (/** @type {string[]} */ tokens) => (wordPiece || !this.tokenizer
        ? wordPieceTokensToString(tokens) : this.tokenizer.convert_tokens_to_string(tokens));
      const entities = aggregate(pre, strategy, label, toString);
      results[i] = entities.filter((x) => !ignore.includes(/** @type {any} */ (x).entity ?? /** @type {any} */ (x).entity_group));
    };

    let single = false;
    let extras;
    const maxLength = maxLengthOption(opts.max_length, this.model.maxLength, this.task);
    /** @type {import('./long-text.js').InputMetadata[]} */
    const metadata = [];
    if (isIdsInput(inputs)) {
      check(strategy === 'none', 'token-classification: token-id inputs support aggregation_strategy "none" only');
      check(stride === undefined || stride === null, 'token-classification: stride needs text inputs');
      await ensureIdsWeights(this.model, inputs);
      const r = forwardIds(this.model, inputs, opts, onRow);
      extras = r.extras;
      results.forEach(() => metadata.push({ tokens: r.out.input_ids.dims[1], max_length: maxLength, truncated: false }));
      owner = results.map((_, i) => i);
    } else {
      const t = textInputs(inputs, this.task);
      texts = t.texts;
      single = t.single;
      this.requireTokenizer();
      for (const [k, text] of texts.entries()) {
        if (stride !== undefined && stride !== null) {
          const full = this.model.tokenize(text, null, {});
          const windows = textWindows(full, maxLength, stride);
          for (const w of windows) { encodings.push(w); owner.push(k); }
          metadata.push({ tokens: full.ids.length, max_length: maxLength, truncated: false, chunks: windows.length });
        } else {
          const e = this.model.tokenize(text, null, { truncation: true, max_length: maxLength });
          encodings.push(e);
          owner.push(k);
          metadata.push({ tokens: e.truncated ? this.model.tokenize(text, null, {}).ids.length : e.ids.length, max_length: maxLength, truncated: e.truncated });
        }
      }
      extras = await forwardBatched(this.model, encodings, opts, onRow);
    }
    /** @type {any[][]} */
    const perText = metadata.map(() => []);
    results.forEach((r, i) => perText[owner[i]].push(r));
    const merged = perText.map((windows, k) => withMetadata(
      windows.length > 1 ? mergeOverlapping(windows.flat()) : windows[0] ?? [], metadata[k], opts.return_metadata === true));
    return withExtras(single ? merged[0] : merged, extras);
  }
}

/**
 * Hugging Face's aggregate_overlapping_entities: entities sorted by start (stable); an entity that
 * starts inside the kept one replaces it when it is longer, or as long with a higher score.
 * @param {any[]} entities
 */
export function mergeOverlapping(entities) {
  if (entities.length === 0) return entities;
  const sorted = entities.slice().sort((a, b) => a.start - b.start);
  const out = [];
  let previous = sorted[0];
  for (const e of sorted) {
    if (previous.start <= e.start && e.start < previous.end) {
      const length = e.end - e.start;
      const previousLength = previous.end - previous.start;
      if (length > previousLength || (length === previousLength && e.score > previous.score)) previous = e;
    } else {
      out.push(previous);
      previous = e;
    }
  }
  out.push(previous);
  return out;
}

/**
 * @param {ArrayLike<number>} x
 */
function argmax(x) {
  let best = 0;
  for (let k = 1; k < x.length; k++) if (x[k] > x[best]) best = k;
  return best;
}

/**
 * @param {PreEntity[]} pre
 * @param {string} strategy
 * @param {(k: number) => string} label
 * @param {(tokens: string[]) => string} toString
 * @returns {(Entity | TokenClassificationGroup)[]}
 */
function aggregate(pre, strategy, label, toString) {
  /** @type {Entity[]} */
  let entities;
  if (strategy === 'none' || strategy === 'simple') {
    entities = pre.map((p) => {
      const k = argmax(p.scores);
      return { entity: label(k), score: p.scores[k], index: p.index, word: p.word, start: p.start, end: p.end };
    });
  } else {
    entities = [];
    /** @type {PreEntity[] | null} */
    let group = null;
    for (const p of pre) {
      if (group === null) group = [p];
      else if (p.is_subword) group.push(p);
      else { entities.push(aggregateWord(group, strategy, label, toString)); group = [p]; }
    }
    if (group !== null) entities.push(aggregateWord(group, strategy, label, toString));
  }
  if (strategy === 'none') return entities;
  return groupEntities(entities, toString);
}

/**
 * @param {PreEntity[]} members
 * @param {string} strategy
 * @param {(k: number) => string} label
 * @param {(tokens: string[]) => string} toString
 * @returns {Entity}
 */
function aggregateWord(members, strategy, label, toString) {
  const word = toString(members.map((m) => m.word));
  /** @type {Float64Array} */
  let scores;
  if (strategy === 'first') {
    scores = members[0].scores;
  } else if (strategy === 'max') {
    let best = members[0];
    let bestMax = Math.max(...best.scores);
    for (const m of members.slice(1)) {
      const mx = Math.max(...m.scores);
      if (mx > bestMax) { best = m; bestMax = mx; }
    }
    scores = best.scores;
  } else {
    scores = new Float64Array(members[0].scores.length);
    for (const m of members) m.scores.forEach((v, k) => { scores[k] += v / members.length; });
  }
  const k = argmax(scores);
  return { entity: label(k), score: scores[k], word, start: members[0].start, end: members[members.length - 1].end };
}

/** @param {string} name @returns {[string, string]} [B|I, tag] */
function getTag(name) {
  if (name.startsWith('B-')) return ['B', name.slice(2)];
  if (name.startsWith('I-')) return ['I', name.slice(2)];
  return ['I', name];
}

/**
 * @param {Entity[]} entities
 * @param {(tokens: string[]) => string} toString
 * @returns {TokenClassificationGroup[]}
 */
function groupEntities(entities, toString) {
  /** @type {TokenClassificationGroup[]} */
  const groups = [];
  /** @type {Entity[]} */
  let current = [];
  const flush = () => {
    const first = current[0];
    const dash = first.entity.indexOf('-');
    groups.push({
      entity_group: dash >= 0 ? first.entity.slice(dash + 1) : first.entity,
      score: current.reduce((a, x) => a + x.score, 0) / current.length,
      word: toString(current.map((x) => x.word)),
      start: /** @type {number} */ (first.start), end: /** @type {number} */ (current[current.length - 1].end),
    });
  };
  for (const e of entities) {
    if (current.length === 0) { current.push(e); continue; }
    const [bi, tag] = getTag(e.entity);
    const [, lastTag] = getTag(current[current.length - 1].entity);
    if (tag === lastTag && bi !== 'B') current.push(e);
    else { flush(); current = [e]; }
  }
  if (current.length) flush();
  return groups;
}
