// Optimisation pieces shared by the trainer: a seeded PRNG (initialisation, shuffling), AdamW as
// torch.optim.AdamW computes it, and the learning-rate schedule of transformers'
// get_linear_schedule_with_warmup.

/**
 * A seeded 32-bit PRNG (mulberry32): deterministic across platforms.
 * @param {number} seed
 * @returns {{next: () => number, normal: () => number}} next() in [0, 1), normal() ~ N(0, 1)
 */
export function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** @type {number | null} */
  let spare = null;
  const normal = () => {
    if (spare !== null) { const v = spare; spare = null; return v; }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { next, normal };
}

/**
 * The order of examples in one epoch: a Fisher-Yates shuffle seeded by (seed, epoch), so a resumed
 * run sees the same order without storing generator state.
 * @param {number} n
 * @param {number} seed
 * @param {number} epoch
 * @returns {Int32Array}
 */
export function epochOrder(n, seed, epoch) {
  const r = rng((seed * 1000003 + epoch * 7919 + 17) >>> 0);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r.next() * (i + 1));
    const t = order[i]; order[i] = order[j]; order[j] = t;
  }
  return order;
}

/**
 * transformers' get_linear_schedule_with_warmup: lr · step/warmup during warmup, then linear decay to 0
 * at `total` steps. `step` counts optimizer steps already taken (the lr of the next one).
 * @param {number} lr
 * @param {number} step
 * @param {number} warmup
 * @param {number} total
 */
export function scheduledLr(lr, step, warmup, total) {
  if (step < warmup) return lr * (step / Math.max(1, warmup));
  return lr * Math.max(0, (total - step) / Math.max(1, total - warmup));
}

/**
 * One AdamW update of `param` in place, exactly torch.optim.AdamW (amsgrad off): decoupled decay
 * p ← p·(1 − lr·wd), m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², p ← p − lr/(1 − β1^t) · m / (√(v/(1 − β2^t)) + ε).
 * @param {Float32Array} param
 * @param {Float32Array} grad
 * @param {Float32Array} m
 * @param {Float32Array} v
 * @param {{lr: number, beta1: number, beta2: number, eps: number, weight_decay: number, t: number}} o t: step number from 1
 */
export function adamw(param, grad, m, v, { lr, beta1, beta2, eps, weight_decay, t }) {
  const bc1 = 1 - beta1 ** t;
  const bc2 = Math.sqrt(1 - beta2 ** t);
  const stepSize = lr / bc1;
  const decay = 1 - lr * weight_decay;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] = param[i] * decay - stepSize * (m[i] / (Math.sqrt(v[i]) / bc2 + eps));
  }
}
