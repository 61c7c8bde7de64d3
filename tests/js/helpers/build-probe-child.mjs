// Child process of tests/js/builds.test.mjs: runs under one Node binary with one wasm build and
// prints one JSON line — relaxed-SIMD detection, the build and int8 kernel in use, fp32 sentiment
// scores against Hugging Face, and the q8 logits of SST-2 dev and of CoNLL-03 test sentences as
// bytes (so the parent can compare builds bitwise) with the SST-2 accuracy.
//   node build-probe-child.mjs '{"build": "relaxed" | "simd128", "threads": 1 | 2}'  (simd128: env.relaxedSimd = false)
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { BertologyModel, env, pipeline, shutdown } from '../../../js/index.js';
import { relaxedSimdSupported } from '../../../js/simd-features.js';
import { readSharedJson, sharedPath } from './shared.js';

const { build, threads, conll = 150 } = JSON.parse(process.argv[2]);
// The runtime picks the relaxed-SIMD builds by itself where it can; env.relaxedSimd = false forces SIMD128.
if (build === 'simd128') env.relaxedSimd = false;

const out = { node: process.version, relaxedSupported: relaxedSimdSupported(), build, threads };

// fp32: the sentiment pipeline on the first 16 SST-2 dev sentences against Hugging Face's scores.
const ref = readSharedJson('reference', 'bert-mini-sst2.sst2-dev.json');
const classifier = await pipeline('sentiment-analysis', sharedPath('models', 'bert-mini-sst2'), { threads });
const scored = await classifier(ref.texts.slice(0, 16), { top_k: null });
out.fp32MaxDiff = 0;
scored.forEach((/** @type {any[]} */ scores, /** @type {number} */ i) => {
  scores.forEach((s, k) => {
    if (s.label !== ref.outputs[i][k].label) out.fp32LabelMismatch = i;
    out.fp32MaxDiff = Math.max(out.fp32MaxDiff, Math.abs(s.score - ref.outputs[i][k].score));
  });
});
await classifier.dispose();

/** Logits of `texts` (batches of 16) as one byte string, and per-row argmax. */
function logits(model, texts) {
  const hash = createHash('sha256');
  const argmax = [];
  for (let i = 0; i < texts.length; i += 16) {
    const r = model.forward(texts.slice(i, i + 16));
    const data = r.logits.data;
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const width = r.logits.dims.at(-1);
    for (let row = 0; row < data.length / width; row++) {
      let best = 0;
      for (let j = 1; j < width; j++) if (data[row * width + j] > data[row * width + best]) best = j;
      argmax.push(best);
    }
  }
  return { sha256: hash.digest('hex'), argmax };
}

const sst2 = await BertologyModel.load(sharedPath('models', 'bert-mini-sst2'), { threads, dtype: 'q8' });
// The first batch before the int8 kernel choice (relaxed builds: dot_add until kernels() has timed
// both; js/model.js makes the choice after a first result) and after it: the same bytes.
const before = logits(sst2, ref.texts.slice(0, 16)).sha256;
out.runtime = { ...sst2.runtime.toJSON(), kernels: sst2.runtime.kernels() };
out.beforeChoiceEqual = before === logits(sst2, ref.texts.slice(0, 16)).sha256;
const s = logits(sst2, ref.texts);
out.sst2 = { sha256: s.sha256, correct: s.argmax.filter((p, i) => p === ref.labels[i]).length, total: ref.texts.length };
sst2.dispose();

// CoNLL-03 test: the first sentences, words joined by spaces, token-classification logits.
const sentences = [];
let words = [];
for (const line of readFileSync(sharedPath('data', 'conll2003', 'test.txt'), 'utf8').split('\n')) {
  if (!line.trim() || line.startsWith('-DOCSTART-')) {
    if (words.length) sentences.push(words.join(' '));
    words = [];
    if (sentences.length >= conll) break;
  } else {
    words.push(line.split(' ')[0]);
  }
}
const ner = await BertologyModel.load(sharedPath('models', 'bert-mini-conll03'), { threads, dtype: 'q8' });
out.conll = { sentences: sentences.length, sha256: logits(ner, sentences).sha256 };
ner.dispose();
await shutdown();
console.log(JSON.stringify(out));
