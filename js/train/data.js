// Training data readers: GLUE SST-2 TSV, CSV / TSV with a header (or two columns text,label),
// CoNLL (`TOKEN ... TAG` per line, blank lines between sentences). Classification examples are
// {text, label} (label: a name, or an index into the trainer's labels); token-classification
// examples are {words, tags}.

import { BertologyError } from '../errors.js';
import { parseConll } from '../eval/conll03.js';

/** @typedef {{text: string, label: string | number, text_pair?: string}} TextExample */
/** @typedef {{words: string[], tags: string[]}} TokenExample */

const TEXT_COLUMNS = ['text', 'sentence', 'sentence1', 'review', 'content'];
const PAIR_COLUMNS = ['text_pair', 'sentence2'];
const LABEL_COLUMNS = ['label', 'labels', 'class', 'category'];

/**
 * @param {string} message
 * @returns {BertologyError}
 */
const bad = (message) => new BertologyError(message, { code: 'INVALID_ARGUMENT' });

/**
 * Splits delimited text into rows of fields (RFC 4180 quoting: "a ""quoted"" field", newlines inside quotes).
 * @param {string} text
 * @param {string} sep
 * @returns {string[][]}
 */
export function splitDelimited(text, sep) {
  /** @type {string[][]} */
  const rows = [];
  /** @type {string[]} */
  let row = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  while (i < src.length) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field.length === 0) { quoted = true; i++; continue; }
    if (c === sep) { row.push(field); field = ''; i++; continue; }
    if (c === '\n' || c === '\r') {
      row.push(field); field = '';
      if (row.length > 1 || row[0].length > 0) rows.push(row);
      row = [];
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += c; i++;
  }
  if (quoted) throw bad('CSV: a quoted field is not closed');
  row.push(field);
  if (row.length > 1 || row[0].length > 0) rows.push(row);
  return rows;
}

/**
 * Classification examples from CSV or TSV text. With a header, the text column is one of
 * text/sentence/sentence1/review/content, the label column label/labels/class/category (an optional
 * text_pair/sentence2 column makes pairs); without one, each row is `text<sep>label`. Labels that are
 * integers become numbers (indices into the trainer's labels), others stay names.
 * @param {string} text
 * @param {{delimiter?: ',' | '\t'}} [options] default: tab if the first line has one, else comma
 * @returns {TextExample[]}
 */
export function parseDelimited(text, { delimiter } = {}) {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const sep = delimiter ?? (firstLine.includes('\t') ? '\t' : ',');
  const rows = splitDelimited(text, sep);
  if (rows.length === 0) throw bad('training data: no rows');
  const header = rows[0].map((h) => h.trim().toLowerCase());
  let ti = header.findIndex((h) => TEXT_COLUMNS.includes(h));
  let li = header.findIndex((h) => LABEL_COLUMNS.includes(h));
  const pi = header.findIndex((h) => PAIR_COLUMNS.includes(h));
  let body = rows.slice(1);
  if (ti < 0 || li < 0) {
    if (ti >= 0 || li >= 0) {
      throw bad(`training data: the header names ${ti >= 0 ? 'a text' : 'a label'} column but no ${ti >= 0 ? 'label' : 'text'} column (expected one of ${(ti >= 0 ? LABEL_COLUMNS : TEXT_COLUMNS).join(', ')})`);
    }
    body = rows;  // no header: text<sep>label
    ti = 0;
    li = -1;
  }
  return body.map((cols, n) => {
    const line = n + (li === -1 ? 1 : 2);
    const labelField = li === -1 ? cols[cols.length - 1] : cols[li];
    const textField = li === -1 ? cols.slice(0, -1).join(sep) : cols[ti];
    if (li === -1 && cols.length < 2) throw bad(`training data line ${line}: expected text${sep === '\t' ? '<TAB>' : ','}label, got one field`);
    if (textField === undefined || labelField === undefined) throw bad(`training data line ${line}: expected ${header.length} fields, got ${cols.length}`);
    const trimmed = labelField.trim();
    if (trimmed === '') throw bad(`training data line ${line}: empty label`);
    /** @type {TextExample} */
    const ex = { text: textField, label: /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed };
    if (pi >= 0 && cols[pi] !== undefined && cols[pi] !== '') ex.text_pair = cols[pi];
    return ex;
  });
}

/**
 * GLUE SST-2 TSV (`sentence<TAB>label`, labels 0 = negative, 1 = positive).
 * @param {string} text
 * @returns {TextExample[]}
 */
export function parseSst2Tsv(text) {
  return parseDelimited(text, { delimiter: '\t' });
}

/**
 * CoNLL: one `TOKEN ... TAG` line per word (the tag is the last column), sentences separated by blank
 * lines, -DOCSTART- lines skipped.
 * @param {string} text
 * @returns {TokenExample[]}
 */
export function parseConllExamples(text) {
  return parseConll(text);
}

/**
 * Reads a data file's text by format: 'conll' (CoNLL), 'sst2' / 'tsv' (tab-separated), 'csv', or
 * 'auto' (by the file name: .conll/.txt → CoNLL, .tsv → TSV, else CSV).
 * @param {string} text
 * @param {'auto' | 'sst2' | 'tsv' | 'csv' | 'conll'} [format]
 * @param {string} [fileName]
 * @returns {TextExample[] | TokenExample[]}
 */
export function parseExamples(text, format = 'auto', fileName = '') {
  const f = format === 'auto'
    ? (/\.(conll|txt|iob2?)$/i.test(fileName) ? 'conll' : /\.tsv$/i.test(fileName) ? 'tsv' : 'csv')
    : format;
  if (f === 'conll') return parseConllExamples(text);
  if (f === 'sst2' || f === 'tsv') return parseDelimited(text, { delimiter: '\t' });
  if (f === 'csv') return parseDelimited(text, { delimiter: ',' });
  throw bad(`training data: unknown format "${format}" (sst2, tsv, csv, conll, auto)`);
}
