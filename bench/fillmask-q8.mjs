#!/usr/bin/env node
// q8 vs fp32 fill-mask (docs/checkpoint-format.md, "Tied MLM decoders"): bert-mini-mlm on WikiText-2 test
// sentences (8–40 words) with one whole word masked per sentence (a random alphabetic word that is a
// single vocabulary token; fixed seed), top-5 from the fp32 and the q8 model: top-1 agreement, mean
// top-5 overlap, top-1 accuracy against the masked word. An accuracy check, not a timing.
//   node bench/fillmask-q8.mjs [N=1000] [--root DIR (another checkout's package, e.g. to compare builds)]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const args = process.argv.slice(2);
const rootAt = args.indexOf('--root');
const root = rootAt >= 0 ? path.resolve(args.splice(rootAt, 2)[1]) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(args[0] ?? 1000);
const SHARED = path.resolve(root, process.env.BERTOLOGY_SHARED ?? '../shared');
const { pipeline } = await import(path.join(root, 'js/index.js'));
const model = path.join(SHARED, 'models', 'bert-mini-mlm');
const fp32 = await pipeline('fill-mask', model, { dtype: 'fp32', threads: 1 });
const q8 = await pipeline('fill-mask', model, { dtype: 'q8', threads: 1 });
const tok = fp32.tokenizer;
const lines = fs.readFileSync(path.join(SHARED, 'data', 'wikitext2', 'wiki.test.txt'), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l && !l.startsWith('='));
const sentences = lines.flatMap((l) => l.split(/(?<= [.!?]) /)).map((s) => s.replace(/ @(.)@ /g, '$1').trim())
  .filter((s) => s.split(' ').length >= 8 && s.split(' ').length <= 40);
let rng = 12345;
const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648);
const cases = [];
for (const s of sentences) {
  if (cases.length >= N) break;
  const words = s.split(' ');
  const cand = words.map((w, i) => [w, i]).filter(([w]) => /^[A-Za-z]+$/.test(w) && tok.encode(w, { add_special_tokens: false }).input_ids.length === 1);
  if (!cand.length) continue;
  const [w, i] = cand[Math.floor(rand() * cand.length)];
  words[i] = '[MASK]';
  cases.push({ text: words.join(' '), word: w.toLowerCase() });
}
let agree = 0, overlap = 0, acc32 = 0, acc8 = 0;
for (const c of cases) {
  const a = await fp32(c.text, { top_k: 5 });
  const b = await q8(c.text, { top_k: 5 });
  if (a[0].token === b[0].token) agree++;
  const sa = new Set(a.map((x) => x.token));
  overlap += b.filter((x) => sa.has(x.token)).length / 5;
  if (a[0].token_str === c.word) acc32++;
  if (b[0].token_str === c.word) acc8++;
}
const n = cases.length;
console.log(JSON.stringify({ root, n, top1_agreement: agree / n, top5_overlap: overlap / n, fp32_top1_acc: acc32 / n, q8_top1_acc: acc8 / n }));
process.exit(0);
