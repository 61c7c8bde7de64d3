// Every tiny random-weight model reproduces its reference.safetensors (Hugging Face, fp32):
// logits / start+end logits / pooled output, all hidden states and all attentions within 1e-5,
// with 1 and with 2 engine threads.

import { test } from 'node:test';
import { BertologyModel } from '../../js/index.js';
import { SKIP_REASON, sharedPath, tinyModels } from './helpers/shared.js';
import { readTensors } from './helpers/safetensors.js';
import { assertClose } from './helpers/compare.js';

const TOL = 1e-5;
const OUTPUTS = ['logits', 'start_logits', 'end_logits', 'last_hidden_state', 'pooler_output', 'hidden_states', 'attentions'];

for (const threads of [1, 2]) {
  for (const name of tinyModels().length ? tinyModels() : ['(none)']) {
    test(`tiny parity: ${name}, ${threads} thread(s)`, { skip: SKIP_REASON }, async (t) => {
      const dir = sharedPath('models', 'tiny', name);
      const ref = readTensors(`${dir}/reference.safetensors`);
      const model = await BertologyModel.load(dir, { threads });
      try {
        const [batch, seq] = ref.input_ids.shape;
        const asIds = (/** @type {string} */ k) => (ref[k] ? { data: ref[k].data, dims: [batch, seq] } : null);
        const out = model.forward(
          { input_ids: asIds('input_ids'), attention_mask: asIds('attention_mask'), token_type_ids: asIds('token_type_ids') },
          { output_hidden_states: true, output_attentions: true });
        const diffs = [];
        for (const key of OUTPUTS) {
          if (!ref[key]) continue;
          const diff = assertClose(`${name} ${key}`, /** @type {any} */ (out)[key], ref[key], TOL);
          diffs.push(`${key} ${diff.toExponential(2)}`);
        }
        t.diagnostic(`${name} (${threads} thr) max abs diff: ${diffs.join(', ')}`);
      } finally {
        model.dispose();
      }
    });
  }
}
