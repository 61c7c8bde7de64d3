// Loading errors of the issue-16 families through the package (wasm): a checkpoint missing a tensor its
// config requires, a shape that disagrees with the config, an unknown model_type /
// position_embedding_type / hidden_act — a BertologyError with its code, naming the tensor or field and
// (UNSUPPORTED) the supported values; a model loaded before keeps reproducing its Hugging Face reference.
// Native twin: tests/native/test_loading_errors_families.cc.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BertologyError, BertologyModel } from '../../js/index.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';
import { parseSafetensors, readTensors, writeSafetensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';

const v2 = (/** @type {string} */ name) => sharedPath('models', 'tiny-v2', name);
const files = (/** @type {string} */ name) => readModelFiles(v2(name), ['config.json', 'model.safetensors']);

/**
 * @param {Record<string, Uint8Array>} base
 * @param {(config: Record<string, any>) => void} edit
 */
function withConfig(base, edit) {
  const config = JSON.parse(new TextDecoder().decode(base['config.json']));
  edit(config);
  return { ...base, 'config.json': new TextEncoder().encode(JSON.stringify(config)) };
}

/**
 * @param {Record<string, Uint8Array>} base
 * @param {string} tensor
 */
function withoutTensor(base, tensor) {
  const { tensors, metadata } = parseSafetensors(base['model.safetensors']);
  assert.ok(tensors.some((t) => t.name === tensor), tensor);
  return { ...base, 'model.safetensors': writeSafetensors(tensors.filter((t) => t.name !== tensor), { metadata }) };
}

/**
 * @param {Record<string, Uint8Array>} bad
 * @param {string} code
 * @param {RegExp[]} patterns
 */
async function assertLoadFails(bad, code, patterns) {
  const err = await BertologyModel.load(bad, { threads: 1 }).then((m) => { m.dispose(); return null; }, (e) => e);
  assert.ok(err instanceof BertologyError, `expected a BertologyError, got ${err}`);
  assert.equal(err.code, code, err.message);
  for (const p of patterns) assert.match(err.message, p);
  return err;
}

test('family loading errors name the tensor / field; a loaded model stays exact', { skip: SKIP_REASON }, async () => {
  const ref = readTensors(`${v2('electra-discriminator')}/reference.safetensors`);
  const good = await BertologyModel.load(v2('electra-discriminator'), { threads: 1 });
  const [batch, seq] = ref.input_ids.shape;
  const ids = (/** @type {string} */ k) => ({ data: ref[k].data, dims: [batch, seq] });
  const stillExact = () => {
    const out = good.forward({ input_ids: ids('input_ids'), attention_mask: ids('attention_mask'), token_type_ids: ids('token_type_ids') });
    assertClose('discriminator logits', out.logits, ref.logits, 1e-5);
  };
  try {
    stillExact();
    const missing = await assertLoadFails(withoutTensor(files('electra-sequenceclassification'), 'electra.embeddings_project.weight'),
      'BAD_CHECKPOINT', [/missing tensor 'electra\.embeddings_project\.weight'/]);
    assert.equal(missing.tensor, 'electra.embeddings_project.weight', 'err.tensor names the missing tensor');
    await assertLoadFails(withoutTensor(files('ernie-model'), 'embeddings.task_type_embeddings.weight'),
      'BAD_CHECKPOINT', [/missing tensor 'embeddings\.task_type_embeddings\.weight'/]);
    await assertLoadFails(withoutTensor(files('xlm-roberta-maskedlm'), 'lm_head.dense.weight'),
      'BAD_CHECKPOINT', [/missing tensor 'lm_head\.dense\.weight'/]);
    await assertLoadFails(withConfig(files('electra-maskedlm'), (c) => { c.embedding_size = 24; }),
      'BAD_CHECKPOINT', [/electra\.embeddings\.word_embeddings\.weight/, /shape/]);
    await assertLoadFails(withConfig(files('camembert-sequenceclassification'), (c) => { c.model_type = 'flaubert'; }),
      'UNSUPPORTED', [/model_type 'flaubert'/, /xlm-roberta/, /camembert/, /ernie/, /electra/]);
    await assertLoadFails(withConfig(files('ernie-model'), (c) => { c.position_embedding_type = 'alibi'; }),
      'UNSUPPORTED', [/position_embedding_type 'alibi'/, /supported: absolute/]);
    await assertLoadFails(withConfig(files('electra-tokenclassification'), (c) => { c.hidden_act = 'mish'; }),
      'UNSUPPORTED', [/hidden_act/, /'mish'/, /supported: gelu/]);
    stillExact();
  } finally {
    good.dispose();
  }
});
