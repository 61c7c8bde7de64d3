// The pipeline-level benchmark's tasks (bench/pipelines.mjs), shared by its Node child and its browser
// page (no Node-only imports): what users call, tokenization and post-processing included.
//   sentiment-1 / -8   pipeline('sentiment-analysis') on the first 200 SST-2 dev sentences, one call per
//                      sentence / per batch of 8 (DistilBERT SST-2 geometry, random weights, bert-base-uncased vocab)
//   features-1 / -8    pipeline('feature-extraction', {pooling: 'mean', normalize: true}) on the same 200
//                      sentences (all-MiniLM-L6-v2 geometry): what sentence embeddings are
//   qa                 pipeline('question-answering') on 50 SQuAD v1.1 dev questions (the held-out articles
//                      40+), one call each (bert-mini-squad, trained)

export const TASKS = {
  'sentiment-1': { task: 'sentiment-analysis', model: 'distilbert-base-sst2-geometry', data: 'sentences', batch: 1, options: {} },
  'sentiment-8': { task: 'sentiment-analysis', model: 'distilbert-base-sst2-geometry', data: 'sentences', batch: 8, options: {} },
  'features-1': { task: 'feature-extraction', model: 'minilm-l6-geometry', data: 'sentences', batch: 1, options: { pooling: 'mean', normalize: true } },
  'features-8': { task: 'feature-extraction', model: 'minilm-l6-geometry', data: 'sentences', batch: 8, options: { pooling: 'mean', normalize: true } },
  qa: { task: 'question-answering', model: 'bert-mini-squad', data: 'squad', batch: 1, options: {} },
};

/** Calls of a task: each is a function of the pipeline returning a promise. */
export function calls(def, data) {
  const items = data[def.data];
  const out = [];
  for (let i = 0; i < items.length; i += def.batch) {
    const chunk = items.slice(i, i + def.batch);
    if (def.task === 'question-answering') {
      out.push((p) => p(chunk[0].question, chunk[0].context));
    } else {
      const input = def.batch === 1 ? chunk[0] : chunk;
      out.push((p) => p(input, def.options));
    }
  }
  return out;
}

/** A small, engine-independent digest of a call's result, to check the two engines agree. */
export function digest(def, result) {
  if (def.task === 'sentiment-analysis') {
    const rows = Array.isArray(result) ? result : [result];
    return rows.map((r) => ({ label: r.label, score: Number(r.score.toFixed(4)) }));
  }
  if (def.task === 'question-answering') {
    const r = Array.isArray(result) ? result[0] : result;
    return { answer: String(r.answer).toLowerCase(), score: Number(r.score.toFixed(4)) };
  }
  // feature-extraction: first 4 values of each embedding (a Tensor in both engines)
  const data = result.data ?? result;
  const dims = result.dims ?? [1, data.length];
  const width = dims.at(-1);
  const rows = data.length / width;
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * width, r * width + 4), (v) => Number(v.toFixed(4))));
}

/**
 * Runs a task: `warmup` calls (not timed, from the start of the list), then every call timed.
 * @returns {Promise<{times: number[], total_ms: number, digests: any[]}>}
 */
export async function runTask(p, def, data, { warmup, now }) {
  const list = calls(def, data);
  for (let i = 0; i < Math.min(warmup, list.length); i++) await list[i](p);
  const times = [];
  const digests = [];
  const t0 = now();
  for (let i = 0; i < list.length; i++) {
    const t = now();
    const r = await list[i](p);
    times.push(now() - t);
    if (i < 10) digests.push(digest(def, r));
  }
  return { times, total_ms: now() - t0, digests };
}
