// `bertology explain`: explains one prediction from the command line. Prints the words with their
// attributions, then (last line) one JSON object: {task, method, prediction, words, [delta,
// completeness_gap]} — delta = f(x) − f(baseline) for integrated gradients.
//
//   bertology explain --model DIR --method integrated_gradients [--steps N] "text"
//   options: --task T (default: from the model's head)  --target LABEL|TOKEN|start|end  --word N
//            --output probability|logit|log_probability  --samples N  --seed S  --baseline pad|zero
//            --pair TEXT (sentence pairs)  --question Q (QA: the text is the context)  --threads N

import { parseArgs } from 'node:util';
import { BertologyModel } from '../model.js';
import { explain, releaseExplainer } from './index.js';

export const EXPLAIN_USAGE = `usage: bertology explain --model DIR [--method integrated_gradients|grad_x_input|occlusion|lime|attention_rollout|gradient_weighted_rollout]
                         [--steps N] [--samples N] [--seed S] [--output probability|logit|log_probability]
                         [--target LABEL] [--word N] [--baseline pad|zero] [--pair TEXT] [--question Q]
                         [--task T] [--threads N] TEXT`;

/** @param {string|undefined} v @param {string} name */
function intOption(v, name) {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got "${v}"`);
  return n;
}

/**
 * Runs the explain subcommand. Returns the process exit code (0 ok, 1 failure, 2 usage).
 * @param {string[]} argv the arguments after "explain"
 * @param {{log?: (s: string) => void, error?: (s: string) => void}} [io]
 */
export async function runExplainCli(argv, { log = console.log, error = console.error } = {}) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        model: { type: 'string' }, method: { type: 'string' }, steps: { type: 'string' }, samples: { type: 'string' },
        seed: { type: 'string' }, output: { type: 'string' }, target: { type: 'string' }, word: { type: 'string' },
        baseline: { type: 'string' }, pair: { type: 'string' }, question: { type: 'string' }, task: { type: 'string' },
        threads: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    error(`${/** @type {Error} */ (e).message}\n${EXPLAIN_USAGE}`);
    return 2;
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    log(EXPLAIN_USAGE);
    return 0;
  }
  if (!o.model || positionals.length !== 1) {
    error(`explain needs --model and exactly one TEXT\n${EXPLAIN_USAGE}`);
    return 2;
  }
  let model;
  try {
    const options = /** @type {import('./index.js').ExplainOptions} */ ({
      method: o.method ?? 'integrated_gradients', steps: intOption(o.steps, 'steps'), samples: intOption(o.samples, 'samples'),
      seed: intOption(o.seed, 'seed'), output: o.output, baseline: o.baseline, word: intOption(o.word, 'word'),
      target: o.target !== undefined && /^\d+$/.test(o.target) ? Number(o.target) : o.target,
    });
    model = await BertologyModel.load(o.model, { threads: intOption(o.threads, 'threads') });
    const text = positionals[0];
    const inputs = o.question !== undefined ? { question: o.question, context: text }
      : o.pair !== undefined ? { text, text_pair: o.pair } : text;
    const r = /** @type {any} */ (await explain(model, /** @type {string} */ (o.task ?? (o.question !== undefined ? 'question-answering' : undefined)), inputs, options));
    const p = r.prediction;
    const predicted = p.predicted ?? `position ${p.predicted_position}`;
    log(`${r.method}: ${p.label}${p.token ? ` at "${p.token}"` : ''} (${p.output} ${p.value.toFixed(4)}; model predicts ${predicted} at ${p.predicted_score.toFixed(4)})`);
    for (const w of r.words) log(`  ${w.attribution >= 0 ? '+' : '-'}${Math.abs(w.attribution).toFixed(4)}  ${w.word}`);
    const summary = {
      task: r.task, method: r.method, prediction: r.prediction,
      words: r.words.map((/** @type {any} */ { word, start, end, attribution }) => ({ word, start, end, attribution })),
      ...(r.method === 'integrated_gradients' ? { delta: r.delta, completeness_gap: r.completeness_gap } : {}),
    };
    if (r.method === 'integrated_gradients') log(`  delta f(x)-f(baseline) ${r.delta.toFixed(6)}, completeness gap ${r.completeness_gap.toExponential(2)}`);
    log(JSON.stringify(summary));
    return 0;
  } catch (e) {
    error(`explain: ${/** @type {Error} */ (e).message.replace(/^explain: /, '')}`);
    return 1;
  } finally {
    if (model) {
      releaseExplainer(model);
      model.dispose();
    }
  }
}
