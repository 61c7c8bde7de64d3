// Head-only training in JS: the classifier (and, for a checkpoint without one, its input transform —
// BERT's pooler) initialised as Hugging Face does, the features a frozen encoder gives each example
// (the transformed first token, the mask-aware mean, or each word's first sub-token), and one AdamW
// step of cross-entropy (+ optional L2) on a batch of cached feature rows.

import { firstSubTokens } from './engine.js';
import { adamw, rng, scheduledLr } from './optim.js';

/**
 * @typedef {object} Transform the classifier's input transform (sequence, 'cls'): W [D, D], b [D], activation
 * @property {Float32Array} weight
 * @property {Float32Array} bias
 * @property {'tanh' | 'relu'} act
 * @property {string} name the Hugging Face module name
 * @property {boolean} fresh initialised here (the checkpoint had none)
 */

/**
 * @typedef {object} Head a linear classifier and AdamW's moments
 * @property {Float32Array} W [L, D]
 * @property {Float32Array} b [L]
 * @property {Float32Array} mW
 * @property {Float32Array} vW
 * @property {Float32Array} mb
 * @property {Float32Array} vb
 */

/**
 * A fresh classifier (and, for 'cls' pooling, the checkpoint's input transform or a fresh one), drawn
 * from `seed` as Hugging Face's _init_weights does: normal(0, initializer_range) weights, zero biases.
 * @param {import('./checkpoint.js').Checkpoint} ckpt
 * @param {{kind: 'sequence' | 'token', pooling: 'cls' | 'mean', labels: number, dim: number, seed: number}} o
 * @returns {{transform: Transform | null, head: Head}}
 */
export function initHead(ckpt, { kind, pooling, labels: L, dim: D, seed }) {
  const std = Number(ckpt.config.initializer_range ?? 0.02);
  const r = rng(seed);
  /** @type {Transform | null} */
  let transform = null;
  if (kind === 'sequence' && pooling === 'cls') {
    const spec = ckpt.family.transform;
    const stored = ckpt.float(`${spec.name}.weight`) ?? (spec.bare ? ckpt.float(`${spec.bare}.weight`) : null);
    const storedBias = ckpt.float(`${spec.name}.bias`) ?? (spec.bare ? ckpt.float(`${spec.bare}.bias`) : null);
    const weight = new Float32Array(D * D);
    const bias = new Float32Array(D);
    let fresh = true;
    if (stored && storedBias && stored.data.length === D * D) {
      weight.set(stored.data);
      bias.set(storedBias.data);
      fresh = false;
    } else {
      for (let i = 0; i < weight.length; i++) weight[i] = r.normal() * std;
    }
    transform = { weight, bias, act: spec.act, name: spec.name, fresh };
  }
  const W = new Float32Array(L * D);
  for (let i = 0; i < W.length; i++) W[i] = r.normal() * std;
  return { transform, head: { W, b: new Float32Array(L), mW: new Float32Array(L * D), vW: new Float32Array(L * D), mb: new Float32Array(L), vb: new Float32Array(L) } };
}

/**
 * out = act(W·x + b).
 * @param {Transform} tr
 * @param {Float32Array} x first token's hidden state [D]
 * @param {Float32Array} out [D]
 */
export function applyTransform(tr, x, out) {
  const D = out.length;
  for (let i = 0; i < D; i++) {
    let s = tr.bias[i];
    const w = tr.weight.subarray(i * D, (i + 1) * D);
    for (let d = 0; d < D; d++) s += w[d] * x[d];
    out[i] = tr.act === 'tanh' ? Math.tanh(s) : Math.max(0, s);
  }
}

/**
 * A text's feature: the mask-aware mean of its hidden states ('mean'), or the transformed first token.
 * @param {(t: number) => Float32Array} row the hidden state of token t
 * @param {import('../model.js').Encoding} enc
 * @param {'cls' | 'mean'} pooling
 * @param {Transform | null} transform
 * @param {number} D
 */
export function sequenceFeature(row, enc, pooling, transform, D) {
  const f = new Float32Array(D);
  if (pooling === 'mean') {
    let n = 0;
    for (let t = 0; t < enc.ids.length; t++) {
      if (!enc.attention_mask[t]) continue;
      const x = row(t);
      for (let d = 0; d < D; d++) f[d] += x[d];
      n++;
    }
    for (let d = 0; d < D; d++) f[d] /= Math.max(1, n);
  } else {
    applyTransform(/** @type {Transform} */ (transform), row(0), f);
  }
  return f;
}

/**
 * The hidden state of each word's first sub-token (Hugging Face's label alignment: the rest get -100),
 * for the words of `key` (the text joined by single spaces).
 * @param {(t: number) => Float32Array} row
 * @param {import('../model.js').Encoding} enc
 * @param {string} key
 * @param {number} D
 * @returns {{vectors: Float32Array, words: Int32Array}}
 */
export function wordFeatures(row, enc, key, D) {
  const first = firstSubTokens(enc, key.split(' '));
  const vectors = new Float32Array(first.length * D);
  first.forEach(({ token }, i) => vectors.set(row(token), i * D));
  return { vectors, words: Int32Array.from(first, ({ word }) => word) };
}

/**
 * Logits of the given rows of X under the head, into `out` [rows.length, L].
 * @param {Head} head
 * @param {Float32Array} X [n, D]
 * @param {Int32Array | number[]} rows
 * @param {Float32Array} out
 * @param {number} D
 * @param {number} L
 */
export function headLogits(head, X, rows, out, D, L) {
  const { W, b } = head;
  for (let r = 0; r < rows.length; r++) {
    const x = X.subarray(rows[r] * D, (rows[r] + 1) * D);
    for (let k = 0; k < L; k++) {
      let s = b[k];
      const w = W.subarray(k * D, (k + 1) * D);
      for (let d = 0; d < D; d++) s += w[d] * x[d];
      out[r * L + k] = s;
    }
  }
}

/**
 * One optimizer step on the rows of a batch: mean cross-entropy (+ l2/2·‖W‖²), its gradient, global-norm
 * clipping (torch.nn.utils.clip_grad_norm_), the scheduled lr, AdamW (no decay on the bias, as HF's
 * Trainer). `scratch` holds the gradient and logits buffers between steps.
 * @param {Head} head
 * @param {Float32Array} X
 * @param {Int32Array} y
 * @param {Int32Array} rows
 * @param {import('./options.js').OptimizerSettings} o
 * @param {{step: number, warmup: number, total: number, D: number, L: number}} at step: steps taken before this one
 * @param {{gW: Float32Array, gb: Float32Array, logits: Float32Array}} scratch
 * @returns {{loss: number, lr: number}}
 */
export function headStep(head, X, y, rows, o, { step, warmup, total, D, L }, { gW, gb, logits }) {
  const B = rows.length;
  headLogits(head, X, rows, logits, D, L);
  gW.fill(0);
  gb.fill(0);
  let loss = 0;
  for (let r = 0; r < B; r++) {
    const z = logits.subarray(r * L, (r + 1) * L);
    let max = -Infinity;
    for (let k = 0; k < L; k++) max = Math.max(max, z[k]);
    let sum = 0;
    for (let k = 0; k < L; k++) sum += Math.exp(z[k] - max);
    const lse = max + Math.log(sum);
    const target = y[rows[r]];
    loss += lse - z[target];
    const x = X.subarray(rows[r] * D, (rows[r] + 1) * D);
    for (let k = 0; k < L; k++) {
      const g = (Math.exp(z[k] - lse) - (k === target ? 1 : 0)) / B;
      if (g === 0) continue;
      gb[k] += g;
      const gw = gW.subarray(k * D, (k + 1) * D);
      for (let d = 0; d < D; d++) gw[d] += g * x[d];
    }
  }
  loss /= B;
  if (o.l2 > 0) {
    let sq = 0;
    for (let i = 0; i < head.W.length; i++) { sq += head.W[i] * head.W[i]; gW[i] += o.l2 * head.W[i]; }
    loss += 0.5 * o.l2 * sq;
  }
  if (!Number.isFinite(loss)) return { loss, lr: 0 };
  if (o.max_grad_norm > 0) {
    let sq = 0;
    for (let i = 0; i < gW.length; i++) sq += gW[i] * gW[i];
    for (let i = 0; i < gb.length; i++) sq += gb[i] * gb[i];
    const norm = Math.sqrt(sq);
    if (norm > o.max_grad_norm) {
      const scale = o.max_grad_norm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_
      for (let i = 0; i < gW.length; i++) gW[i] *= scale;
      for (let i = 0; i < gb.length; i++) gb[i] *= scale;
    }
  }
  const lr = scheduledLr(o.lr, step, warmup, total);
  const common = { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, t: step + 1 };
  adamw(head.W, gW, head.mW, head.vW, { ...common, weight_decay: o.weight_decay });
  adamw(head.b, gb, head.mb, head.vb, { ...common, weight_decay: 0 });  // no decay on biases (HF Trainer)
  return { loss, lr };
}
