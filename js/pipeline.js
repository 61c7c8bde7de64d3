// pipeline(task, model, options): transformers.js-style task pipelines over a BertologyModel.
//
//   import { pipeline } from 'bertology';
//   const classifier = await pipeline('sentiment-analysis', 'models/bert-mini-sst2');
//   await classifier('I loved it');      // [{label: 'POSITIVE', score: 0.99}]
//   await classifier.dispose();
//
// Tasks: text-classification, fill-mask, token-classification, question-answering, feature-extraction,
// zero-shot-classification, text-ranking (js/pipelines/, one file each).

import { BertologyError, check } from './errors.js';
import { BertologyModel } from './model.js';
import { checkLoadOptions } from './files.js';
import { OUTPUT_KEYS } from './pipelines/common.js';
import { Tokenizer } from './tokenizer.js';
import { TextClassificationPipeline } from './pipelines/text-classification.js';
import { FillMaskPipeline } from './pipelines/fill-mask.js';
import { TokenClassificationPipeline } from './pipelines/token-classification.js';
import { QuestionAnsweringPipeline } from './pipelines/question-answering.js';
import { FeatureExtractionPipeline } from './pipelines/feature-extraction.js';
import { ZeroShotClassificationPipeline } from './pipelines/zero-shot-classification.js';
import { TextRankingPipeline } from './pipelines/text-ranking.js';

/**
 * @typedef {object} TaskSpec
 * @property {typeof import('./pipelines/common.js').Pipeline} pipeline
 * @property {string[] | null} heads the model heads the task runs on (null: any)
 * @property {string} needs what to load instead, for error messages
 * @property {Record<string, any>} [load] load options the task adds (the caller's own take precedence)
 */

/** @type {Record<string, TaskSpec>} */
export const SUPPORTED_TASKS = {
  'text-classification': {
    pipeline: TextClassificationPipeline, heads: ['sequence_classification'],
    needs: 'a sequence-classification model (e.g. BertForSequenceClassification)',
  },
  'fill-mask': {
    pipeline: FillMaskPipeline, heads: ['masked_lm'], needs: 'a masked-LM model (e.g. BertForMaskedLM)',
  },
  'token-classification': {
    pipeline: TokenClassificationPipeline, heads: ['token_classification', 'replaced_token_detection'],
    needs: 'a token-classification model (e.g. BertForTokenClassification) or an ELECTRA discriminator (ElectraForPreTraining)',
  },
  'question-answering': {
    pipeline: QuestionAnsweringPipeline, heads: ['question_answering'],
    needs: 'a question-answering model (e.g. BertForQuestionAnswering)',
  },
  'feature-extraction': {
    pipeline: FeatureExtractionPipeline, heads: null, needs: 'any model', load: { sentence_transformers: true },
  },
  'zero-shot-classification': {
    pipeline: ZeroShotClassificationPipeline, heads: ['sequence_classification'],
    needs: 'an NLI sequence-classification model with an entailment label (e.g. one fine-tuned on MNLI)',
  },
  'text-ranking': {
    pipeline: TextRankingPipeline, heads: ['sequence_classification'],
    needs: 'a cross-encoder (a sequence-classification model with one output, e.g. a reranker)',
  },
};

/** transformers.js / Hugging Face aliases. */
export const TASK_ALIASES = /** @type {Record<string, string>} */ ({
  'sentiment-analysis': 'text-classification',
  ner: 'token-classification',
  embeddings: 'feature-extraction',
});

/** Every accepted task name, aliases included. */
export const TASKS = [...Object.keys(SUPPORTED_TASKS), ...Object.keys(TASK_ALIASES)];

/**
 * Creates a pipeline for `task` over `model` (anything BertologyModel.load accepts, or a loaded
 * BertologyModel, which the pipeline then does not dispose). `options` go to BertologyModel.load
 * (threads, progress_callback, ...); task options in it (e.g. top_k, aggregation_strategy) become the
 * pipeline's defaults.
 * @param {string} task
 * @param {import('./files.js').ModelSource | BertologyModel} model
 * @param {Record<string, any>} [options]
 * @returns {Promise<any>}
 */
export async function pipeline(task, model, options = {}) {
  check(typeof task === 'string', `pipeline: task must be a string, one of ${TASKS.join(', ')}`);
  const name = TASK_ALIASES[task] ?? task;
  const spec = Object.hasOwn(SUPPORTED_TASKS, name) ? SUPPORTED_TASKS[name] : undefined;
  if (!spec) {
    throw new BertologyError(`pipeline: unknown task "${task}"; known tasks: ${TASKS.join(', ')}`, { code: 'INVALID_ARGUMENT' });
  }
  check(model != null && model !== '', `pipeline("${task}"): a model is required (a directory, URL, Hugging Face id or files)`);
  check(options === undefined || options === null || typeof options === 'object', `pipeline("${task}"): options must be an object`);
  // task options (call defaults) vs BertologyModel.load's options; anything else is rejected
  const taskKeys = [...OUTPUT_KEYS, ...spec.pipeline.OPTIONS];
  const loadOptions = Object.fromEntries(Object.entries(options ?? {}).filter(([k]) => !taskKeys.includes(k)));
  checkLoadOptions(loadOptions, { operation: `pipeline("${task}")`, alsoKnown: taskKeys });
  const owned = !(model instanceof BertologyModel);
  // Load options a task adds (feature-extraction: the sentence-transformers files); the caller's own
  // value of the same name (also a call option there) decides.
  const taskLoad = Object.fromEntries(Object.entries(spec.load ?? {}).map(([k, v]) => [k, options?.[k] ?? v]));
  // Pipelines call the model asynchronously, so they take it progressively (the first result does not wait
  // for the whole word-embedding table) unless the caller says progressive: false.
  const loaded = owned ? await BertologyModel.load(/** @type {any} */ (model), { progressive: true, ...loadOptions, ...taskLoad }) : model;
  try {
    const { head, model_type: type } = loaded.info;
    if (spec.heads && !spec.heads.includes(head)) {
      throw new BertologyError(`pipeline("${task}") needs ${spec.needs}, but this ${type} model has a `
        + `${head.replace(/_/g, '-')} head${headHint(head)}`, { code: 'INVALID_ARGUMENT' });
    }
    const tokenizer = loaded.info.has_tokenizer ? new Tokenizer(loaded) : null;
    return new spec.pipeline({ task: name, model: loaded, tokenizer, owned, defaults: options ?? {} });
  } catch (e) {
    if (owned) loaded.dispose();
    throw e;
  }
}

/** @param {string} head */
function headHint(head) {
  const task = {
    sequence_classification: 'text-classification', masked_lm: 'fill-mask', token_classification: 'token-classification',
    question_answering: 'question-answering', base: 'feature-extraction',
  }[head];
  return task && task !== 'feature-extraction' ? ` (use it with "${task}" or "feature-extraction")` : '';
}
