// Shared by the benchmark driver (bench/run.mjs), its Node child (bench/child.mjs) and the browser
// page (bench/browser/page.mjs): model geometry, FLOP counts, deterministic inputs, statistics.
// No Node-only imports here: the page imports this file too.

import { FORWARD_FLAGS } from '../../js/engine-contract.js';

/**
 * The numbers that set a model's cost, from its Hugging Face config.json.
 * @param {Record<string, any>} c
 */
export function geometry(c) {
  if (c.model_type === 'distilbert') {
    return { layers: c.n_layers, hidden: c.dim, heads: c.n_heads, intermediate: c.hidden_dim, vocab: c.vocab_size,
      head: 'distilbert-sequence-classification', labels: Object.keys(c.id2label ?? { 0: 0, 1: 1 }).length };
  }
  const isBase = !c.architectures || c.architectures.length === 0;
  // ModernBERT's GeGLU: Wi is 2I wide and Wo reads I, i.e. 3·h·I multiply-adds per token where BERT's FFN has 2·h·I.
  if (c.model_type === 'modernbert') {
    return { layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads,
      intermediate: 1.5 * c.intermediate_size, vocab: c.vocab_size, head: isBase ? 'base' : 'bert-sequence-classification',
      labels: Object.keys(c.id2label ?? { 0: 0, 1: 1 }).length, relative: 0 };
  }
  // DeBERTa's disentangled attention adds one q·Pk (c2p) and one k·Pq (p2c) term per score.
  const relative = c.model_type === 'deberta-v2' && c.relative_attention ? (c.pos_att_type ?? []).length : 0;
  return { layers: c.num_hidden_layers, hidden: c.hidden_size, heads: c.num_attention_heads,
    intermediate: c.intermediate_size, vocab: c.vocab_size, head: isBase ? 'base' : 'bert-sequence-classification',
    labels: Object.keys(c.id2label ?? { 0: 0, 1: 1 }).length, relative };
}

/**
 * Our forward's flags for a model: HEAD_ONLY (head output only — the last layer runs on the [CLS] rows, as the
 * sentiment pipeline asks) for classifiers, 0 (last_hidden_state) for base models; same outputs as the
 * ONNX graph returns.
 * @param {ReturnType<typeof geometry>} g
 */
export function oursForwardFlags(g) {
  return g.head === 'base' ? 0 : FORWARD_FLAGS.HEAD_ONLY;
}

/**
 * Which of our wasm builds a benchmark process runs for a thread count, as the package's runtime
 * picks it (js/runtime.js): the single-threaded build for one thread, the pthreads build otherwise.
 * @param {number} threads
 * @returns {{ single: boolean, build: 'bertology-st' | 'bertology' }}
 */
export function oursBuild(threads) {
  const single = threads === 1;
  return { single, build: single ? 'bertology-st' : 'bertology' };
}

/**
 * Multiply-add FLOPs (2·M·N·K) of one forward pass: every linear layer of the encoder (Q, K, V,
 * attention output, FFN in and out) over batch·seq tokens, the two attention matmuls (QKᵀ and
 * P·V, plus DeBERTa's c2p and p2c terms) per sequence, and the classification head on the [CLS] rows (BERT: pooler + classifier;
 * DistilBERT: pre_classifier + classifier; a base model: none — the ONNX graph of MiniLM outputs
 * last_hidden_state only). Softmax, GELU, LayerNorm and embeddings are not counted.
 * @param {ReturnType<typeof geometry>} g
 * @param {number} batch
 * @param {number} seq
 */
export function forwardFlops(g, batch, seq) {
  const tokens = batch * seq;
  const h = g.hidden, i = g.intermediate;
  const linear = 2 * tokens * (4 * h * h + 2 * h * i);
  const attention = 2 * (2 + (g.relative ?? 0)) * batch * seq * seq * h;
  let head = 0;
  if (g.head !== 'base') head = 2 * batch * (h * h + h * g.labels);
  return g.layers * (linear + attention) + head;
}

/** mulberry32: a small seeded PRNG, identical in Node and the browser. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The benchmark input for batch × seq: [CLS] random word-piece ids [SEP] per row (ids drawn from
 * [1000, vocab) with a fixed seed that depends on the shape only), attention mask all ones, token
 * types all zeros. Both engines get exactly these ids.
 * @param {number} batch
 * @param {number} seq
 * @param {number} vocab
 */
export function makeInputs(batch, seq, vocab) {
  const next = rng(0x5eed ^ (batch * 1000003 + seq));
  const ids = new Int32Array(batch * seq);
  for (let b = 0; b < batch; ++b) {
    for (let s = 0; s < seq; ++s) {
      ids[b * seq + s] = s === 0 ? 101 : s === seq - 1 ? 102 : 1000 + Math.floor(next() * (vocab - 1000));
    }
  }
  const mask = new Int32Array(batch * seq).fill(1);
  const types = new Int32Array(batch * seq);
  return { ids, mask, types };
}

/** @param {number[]} xs @param {number} q in [0, 1] (linear interpolation between order statistics) */
export function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * How many timed runs a shape gets: at least `minRuns`, more while they fit in `targetSeconds`
 * (estimated from the warm-up), at most `maxRuns`.
 */
export function runCount(warmMs, { minRuns, maxRuns, targetSeconds }) {
  const fit = Math.floor((targetSeconds * 1000) / Math.max(warmMs, 1e-3));
  return Math.max(minRuns, Math.min(maxRuns, fit));
}

/**
 * Times `fn` (sync or async): `warmup` untimed calls (one if it takes over a second), then a run
 * count from `runCount`.
 * @param {() => any} fn
 * @param {{warmup: number, minRuns: number, maxRuns: number, targetSeconds: number}} plan
 * @param {() => number} now
 */
export async function timeRuns(fn, plan, now) {
  let warmMs = Infinity;
  for (let w = 0; w < plan.warmup; ++w) {
    const t0 = now();
    await fn();
    warmMs = Math.min(warmMs, now() - t0);
    if (warmMs > 1000) break;  // one warm-up run is plenty for a run that long
  }
  const n = runCount(warmMs, plan);
  const times = [];
  for (let r = 0; r < n; ++r) {
    const t0 = now();
    await fn();
    times.push(now() - t0);
  }
  return times;
}

/** First few values of a float output, for the cross-engine sanity check. */
export function head8(a) {
  return Array.from(a.subarray(0, 8), (v) => Number(v.toPrecision(7)));
}
