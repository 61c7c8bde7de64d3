// Head-only training is convex: on bert-mini-mlm's mean-pooled features of the first 2,000 SST-2 train
// sentences, our L2-regularised head must land where scikit-learn's LogisticRegression (Debian's
// python3-sklearn, lbfgs, the oracle) does: same objective to 2e-3, dev accuracy within 1 point
// (sklearn reaches 0.788 at C = 0.01). Also checks our macro-F1 against sklearn's f1_score.
//
// Regularisation: sklearn minimises ½‖w‖² + C·Σ logloss, i.e. mean logloss + ‖w‖²/(2Cn). A 2-label
// softmax head with L2 λ/2·(‖w₀‖² + ‖w₁‖²) has its optimum at w₀ = −w₁ = w/2, so it is the same model
// with λ = 2/(Cn). ~40 s on a loaded machine (one forward over 2,872 sentences).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertologyModel, shutdown } from '../../js/index.js';
import { Trainer, parseSst2Tsv } from '../../js/train/index.js';
import { SKIP_REASON, sharedPath } from './helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'bertology-sklearn-'));
after(async () => { rmSync(dir, { recursive: true, force: true }); await shutdown(); });

const PY = `
import json, sys, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
d, C = sys.argv[1], float(sys.argv[2])
D = 256
Xtr = np.fromfile(d + '/Xtr.f32', dtype=np.float32).reshape(-1, D).astype(np.float64)
ytr = np.fromfile(d + '/ytr.i32', dtype=np.int32)
Xdv = np.fromfile(d + '/Xdv.f32', dtype=np.float32).reshape(-1, D).astype(np.float64)
ydv = np.fromfile(d + '/ydv.i32', dtype=np.int32)
W = np.fromfile(d + '/W.f32', dtype=np.float32).reshape(2, D).astype(np.float64)
b = np.fromfile(d + '/b.f32', dtype=np.float32).astype(np.float64)
clf = LogisticRegression(C=C, max_iter=10000, tol=1e-10).fit(Xtr, ytr)
z = Xtr @ clf.coef_[0] + clf.intercept_[0]
objective = np.mean(np.logaddexp(0, z) - ytr * z) + (clf.coef_ ** 2).sum() / (2 * C * len(ytr))
ours = np.argmax(Xdv @ W.T + b, axis=1)
print(json.dumps({'accuracy': float((clf.predict(Xdv) == ydv).mean()), 'objective': float(objective),
                  'our_macro_f1': float(f1_score(ydv, ours, average='macro')), 'our_accuracy': float((ours == ydv).mean())}))
`;

test('head-only on frozen features matches scikit-learn LogisticRegression (C = 0.01)', { skip: SKIP_REASON }, async () => {
  const train = parseSst2Tsv(readFileSync(sharedPath('data', 'sst2', 'train.tsv'), 'utf8')).slice(0, 2000);
  const dev = parseSst2Tsv(readFileSync(sharedPath('data', 'sst2', 'dev.tsv'), 'utf8'));
  const model = await BertologyModel.load(sharedPath('models', 'bert-mini-mlm'));
  const C = 0.01;
  const l2 = 2 / (C * train.length);
  const trainer = await Trainer.create(model, {
    labels: ['negative', 'positive'], pooling: 'mean', epochs: 20, batch_size: 32, seed: 1, optimizer: { lr: 1e-2, l2 },
  });
  await trainer.fit(train);
  const ours = await trainer.evaluate(dev);
  const onTrain = await trainer.evaluate(train);
  const { weight, bias } = trainer.head;
  const objective = onTrain.loss + (l2 / 2) * weight.reduce((a, w) => a + w * w, 0);

  const ftr = await trainer.features(train);
  const fdv = await trainer.features(dev);
  writeFileSync(join(dir, 'Xtr.f32'), ftr.data);
  writeFileSync(join(dir, 'ytr.i32'), ftr.labels);
  writeFileSync(join(dir, 'Xdv.f32'), fdv.data);
  writeFileSync(join(dir, 'ydv.i32'), fdv.labels);
  writeFileSync(join(dir, 'W.f32'), weight);
  writeFileSync(join(dir, 'b.f32'), bias);
  let out;
  try {
    out = execFileSync('/usr/bin/python3', ['-c', PY, dir, String(C)], { encoding: 'utf8' });
  } catch (e) {
    assert.fail(`scikit-learn (Debian python3-sklearn, installed by npm run setup) failed: ${/** @type {any} */ (e).stderr ?? e}`);
  }
  const sk = JSON.parse(out);
  console.log(`# sklearn dev accuracy ${sk.accuracy.toFixed(4)}, ours ${ours.accuracy.toFixed(4)}; objective sklearn ${sk.objective.toFixed(6)}, ours ${objective.toFixed(6)}`);
  assert.ok(Math.abs(sk.accuracy - 0.788) < 0.005, `sklearn's accuracy on these features is ${sk.accuracy} (the issue measured 0.788): are the features the issue's?`);
  assert.ok(Math.abs(ours.accuracy - sk.accuracy) <= 0.01, `ours ${ours.accuracy} vs sklearn ${sk.accuracy}`);
  assert.ok(objective - sk.objective < 2e-3 && objective - sk.objective > -1e-5, `objective: ours ${objective} vs sklearn's optimum ${sk.objective}`);
  assert.ok(Math.abs(sk.our_accuracy - ours.accuracy) < 1e-9);
  assert.ok(Math.abs(sk.our_macro_f1 - ours.macro_f1) < 1e-9, `macro-F1 ${ours.macro_f1} vs sklearn's f1_score ${sk.our_macro_f1}`);
  model.dispose();
});
