// Type declarations for the `bertology` package (js/index.js).

// ---------------------------------------------------------------------------------------------
// Tensors

export type TypedData = Float32Array | Int32Array | Int8Array | Uint8Array;

/** A dense row-major tensor, shaped like transformers.js's Tensor (without its math). */
export class Tensor<D extends TypedData = Float32Array> {
  constructor(data: D, dims: number[]);
  data: D;
  dims: number[];
  readonly type: 'float32' | 'int32' | 'int8' | 'uint8';
  readonly size: number;
  /** The values as nested arrays, `dims.length` levels deep. */
  tolist(): any;
}

export function softmax(x: ArrayLike<number>, start?: number, n?: number): number[];
export function sigmoid(x: ArrayLike<number>, start?: number, n?: number): number[];
export function argmax(x: ArrayLike<number>, start?: number, n?: number): number;

// ---------------------------------------------------------------------------------------------
// Embedding helpers (sentence-transformers' util and quantization semantics)

/** A [n, d] Tensor (or {data, dims}), rows as arrays, or one vector. */
export type EmbeddingsLike = { data: ArrayLike<number>; dims: number[] } | ArrayLike<number>[] | ArrayLike<number>;
/** Cosine similarity of every row of a with every row of b: [rows(a), rows(b)]; a number for two 1-D vectors. */
export function cos_sim(a: ArrayLike<number>, b: ArrayLike<number>): number;
export function cos_sim(a: EmbeddingsLike, b: EmbeddingsLike): Tensor | number;
/** Dot products of every row of a with every row of b; a number for two 1-D vectors. */
export function dot_score(a: ArrayLike<number>, b: ArrayLike<number>): number;
export function dot_score(a: EmbeddingsLike, b: EmbeddingsLike): Tensor | number;
/** Negative Euclidean / Manhattan distances (sentence-transformers' euclidean_sim / manhattan_sim). */
export function euclidean_sim(a: EmbeddingsLike, b: EmbeddingsLike): Tensor | number;
export function manhattan_sim(a: EmbeddingsLike, b: EmbeddingsLike): Tensor | number;
export interface SemanticSearchHit { corpus_id: number; score: number }
/** For each query the top_k (default 10) corpus rows by score (default cosine), best first. */
export function semanticSearch(queries: EmbeddingsLike, corpus: EmbeddingsLike, options?: {
  top_k?: number;
  score_function?: 'cosine' | 'dot' | 'euclidean' | 'manhattan' | ((a: EmbeddingsLike, b: EmbeddingsLike) => Tensor | number[][]);
}): SemanticSearchHit[][];
export type Precision = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';
/**
 * sentence-transformers' quantize_embeddings: int8/uint8 buckets between per-dimension ranges (from
 * `ranges` [2, dim], `calibration_embeddings`, or the embeddings themselves), binary/ubinary packed bits.
 */
export function quantizeEmbeddings(embeddings: EmbeddingsLike, precision: Precision,
  options?: { ranges?: EmbeddingsLike; calibration_embeddings?: EmbeddingsLike }): Tensor<Float32Array | Int8Array | Uint8Array>;

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * The engine's codes (INVALID_ARGUMENT, LIMIT, BAD_CHECKPOINT, UNSUPPORTED, FILE_NOT_FOUND, FILE_READ,
 * OUT_OF_MEMORY, INTERNAL, NOT_READY) and the JS layer's (DISPOSED, RUNTIME, WORKER, NETWORK, BAD_RESPONSE, INTEGRITY).
 */
export type BertologyErrorCode =
  | 'INVALID_ARGUMENT' | 'LIMIT' | 'BAD_CHECKPOINT' | 'UNSUPPORTED' | 'FILE_NOT_FOUND' | 'FILE_READ'
  | 'OUT_OF_MEMORY' | 'INTERNAL' | 'NOT_READY' | 'DISPOSED' | 'RUNTIME' | 'WORKER' | 'NETWORK' | 'BAD_RESPONSE' | 'INTEGRITY'
  | 'ABORTED' | 'NUMERIC';

/** Structured facts the engine attaches to some failures. */
export interface EngineErrorDetails {
  /** The file at fault. */
  file?: string;
  /** The tensor or JSON field at fault. */
  field?: string;
  /** The limit exceeded (a `limits.*` load option name). */
  limit?: string;
  /** The same name as `field` when it is a tensor. */
  tensor?: string;
}

export class BertologyError extends Error {
  constructor(message: string, options?: { code?: BertologyErrorCode; cause?: unknown; operation?: string; details?: EngineErrorDetails });
  name: 'BertologyError';
  code: BertologyErrorCode;
  /** The JS operation that failed (e.g. "loadModel", "tokenize", "forward"), if known. */
  operation?: string;
  /** Structured facts from the engine, when it gave any. */
  details?: EngineErrorDetails;
  /** For remote sources: the URL and HTTP status involved. */
  url?: string;
  status?: number;
  /** LIMIT errors: the limit's name (`limits.<limit>`), what the call needed, and the limit in force
   * (value and max when checked in JS; the engine's own LIMIT errors set limit only). */
  limit?: string;
  value?: unknown;
  max?: number;
  /** The file at fault (engine errors about model files, e.g. 'model.safetensors'). */
  file?: string;
  /** The tensor or JSON field at fault: an engine error's tensor, or the input tensor of an INVALID_ARGUMENT
   * error about ids (e.g. 'input_ids') with the offending position in `index`. */
  field?: string;
  /** The checkpoint tensor at fault (= field), e.g. for a NaN weight or a missing tensor. */
  tensor?: string;
  index?: number | number[];
}

/** Per-call limits checked before any work (docs/hardening.md, "Limits"); defaults in CALL_LIMITS. */
export interface CallLimits {
  /** Inputs of one call (texts, pairs, question/context items). Default 1024. */
  max_texts: number;
  /** UTF-16 code units of one text (bytes of a Uint8Array). Default 1048576. */
  max_chars: number;
  /** Windows of one question-answering call over all its questions. Default 64. */
  max_windows: number;
  /** (text, label) pairs of one zero-shot-classification call: texts × candidate labels. Default 4096. */
  max_pairs: number;
}

/** The defaults of the call limits: {max_texts: 1024, max_chars: 1048576, max_windows: 64, max_pairs: 4096}. */
export const CALL_LIMITS: Readonly<CallLimits>;

/** Engine limits (checked in the wasm engine) and call limits, as the load option `limits` takes them. */
export interface Limits extends Partial<CallLimits> {
  max_batch?: number;
  max_tokens?: number;
  max_forward_bytes?: number;
  max_header_bytes?: number;
  max_tensors?: number;
}

/** One progress event of a long pipeline call (`progress_callback` call option). */
export interface InferenceProgress {
  status: 'inference';
  task: string;
  /** What done/total count: 'texts', 'windows' (question-answering) or 'pairs' (zero-shot-classification). */
  unit: string;
  done: number;
  total: number;
}

// ---------------------------------------------------------------------------------------------
// Model sources and loading

export type FileBytes = Uint8Array | ArrayBuffer | ArrayBufferView | Blob | string;

/**
 * A local directory (Node: path or file: URL), a base URL, a Hugging Face model id ("org/name"),
 * or the model's files by name.
 */
export type ModelSource = string | URL | Map<string, FileBytes> | Record<string, FileBytes>;

/** transformers.js-compatible progress events. */
export type ProgressEvent =
  | { status: 'initiate' | 'download' | 'done'; name: string; file: string }
  | { status: 'progress'; name: string; file: string; loaded: number; total: number; progress: number }
  | { status: 'ready'; name: string; model: string };

export type ProgressCallback = (event: ProgressEvent) => void;

export interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
  delete?(url: string): Promise<boolean>;
}

/** Options of `BertologyModel.load` (and the load part of `pipeline()`'s options); other keys are rejected. */
export interface LoadOptions {
  /** Engine threads (default: the machine's parallelism capped at 4; 1 without cross-origin isolation). */
  threads?: number;
  /**
   * How the weights are held in memory: 'fp32' (default; float32, whatever the checkpoint stores —
   * float32, float16 and bfloat16 are decoded) or 'q8' (int8 encoder weights and word embeddings, shared by a tied MLM decoder,
   * quantized at load: 0.27× the fp32 bytes). Anything else is rejected. A folder converted with
   * `bertology convert --dtype q8` loads as q8 without a dtype; 'fp32' on it is an error.
   */
  dtype?: 'fp32' | 'q8';
  /** Raises/lowers the limits on untrusted input (docs/hardening.md, "Limits"); unknown names are rejected. */
  limits?: Limits;
  /**
   * Check every float weight for NaN / ±Inf while it is decoded (default true; < 2 % of a load). A bad
   * value is an error naming the file, the tensor and the first bad element.
   */
  validate_weights?: boolean;
  progress_callback?: ProgressCallback;
  /** Hub host for model ids (default env.remoteHost). */
  host?: string;
  /** Hub revision (default env.revision, "main"). */
  revision?: string;
  /** Cache API storage of downloads: true, a cache name, or a Cache-like object. */
  cache?: boolean | string | CacheLike;
  /** Expected SHA-256 (hex) per file name. */
  sha256?: Record<string, string>;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  local_files_only?: boolean;
  /** In-memory sources: the model's name in progress events (default 'in-memory files'). */
  name?: string;
  /** Also read a sentence-transformers model's module files (modules.json, 1_Pooling/, 2_Dense/, …);
   * pipeline('feature-extraction') sets it. */
  sentence_transformers?: boolean;
  /**
   * Progressive loading (default true in pipeline(), false in BertologyModel.load(), whose synchronous calls
   * need every row): from a URL or the hub, the model is ready before the word-embedding
   * table (most of a small model's bytes) has downloaded; calls fetch the rows their inputs need first
   * (HTTP Range requests when the stream has not brought them yet), the rest arrives in the background
   * (`model.weightsComplete`). Results are bitwise those of a full load. Not with `sha256` checks, cache hits,
   * local folders or bytes. false: wait for every byte before the model is ready.
   */
  progressive?: boolean;
}

export interface SourceEnv {
  remoteHost: string;
  remotePathTemplate: string;
  revision: string;
  allowRemoteModels: boolean;
  allowLocalModels: boolean;
  cache: boolean | string;
  cacheName: string;
  fetch: typeof fetch | null;
  headers: Record<string, string> | null;
  /**
   * Browsers: where the files of the package's dist/ are served (a URL prefix such as '/bertology/',
   * relative to the page). null (default): where the bundler emitted them (Vite, webpack), next to
   * the package's modules otherwise. Needed with bundlers that only bundle JavaScript (esbuild, Rollup).
   */
  wasmPaths: string | URL | null;
  /**
   * Whether the runtime may use the relaxed-SIMD builds where the JS engine has relaxed SIMD (Node 22+,
   * Chromium 114+): faster int8, bitwise the same results. false: the SIMD128 builds. Default true;
   * read when a runtime is created.
   */
  relaxedSimd: boolean;
  /**
   * Browsers: ms a thread worker may take to start (after the wasm is compiled) before the runtime
   * falls back to the single-threaded build (`runtime.fallback` says why); also how long
   * `createWorkerClient` waits for `bertology/worker` to start. Default 10000.
   */
  workerTimeout: number;
  /**
   * ms a long call (a pipeline's batches, question-answering windows) runs before it lets the event
   * loop run (progress events, rendering, worker messages). Default 50; 0: after every forward pass.
   */
  yieldInterval: number;
}

/** Process-wide settings (like transformers.js's `env`): model sources and where the runtime's files are. */
export const env: SourceEnv;
export function hubBaseUrl(id: string, options?: { host?: string; revision?: string }): string;

// ---------------------------------------------------------------------------------------------
// Runtime

export type RuntimeVariant = 'threads' | 'single';

/** What `JSON.stringify(model.runtime)` (and console.log / util.inspect) shows. */
export interface RuntimeSummary {
  /** Which wasm build: 'threads', 'single', or their relaxed-SIMD twins 'threads-relaxed', 'single-relaxed'. */
  build: string;
  /** 'threads' (pthreads, needs SharedArrayBuffer) or 'single'. */
  variant: RuntimeVariant;
  /** Engine threads used (in a browser, once the pool workers are up: `Runtime.threadsReady`). */
  threads: number;
  /** What was asked for (or the default). */
  requestedThreads: number;
  /** Why fewer threads than requested are used, and what to do; null otherwise. */
  fallback: string | null;
  /** Whether the JS context is cross-origin isolated (Node: true). */
  crossOriginIsolated: boolean;
}

export interface Runtime extends RuntimeSummary {
  /** The Embind module (not enumerable). */
  readonly module: unknown;
  /**
   * Settles (never rejects) once the pool's threads are up, or once it is decided, within
   * `env.workerTimeout`, that they cannot start — `threads` is then 1 and `fallback` says why. In a
   * browser a threaded runtime is usable as soon as its wasm is instantiated: until its pool workers
   * have started, the engine runs on the calling thread alone (bitwise the same results). Not enumerable.
   */
  readonly threadsReady: Promise<void>;
  /** Current size of the wasm memory (it only grows). */
  memory(): { heapBytes: number };
  /**
   * The build's instruction set and the int8 GEMM kernel it runs (a relaxed build times its two kernels
   * once, 10-60 ms, at the first int8 load or this call).
   */
  kernels(): { simd: 'relaxed' | 'simd128'; int8: string };
  toJSON(): RuntimeSummary;
  toString(): string;
}

export function getRuntime(options?: { threads?: number }): Promise<Runtime>;
export function shutdown(): Promise<void>;
export function defaultThreadCount(): Promise<number>;
export function threadsAvailable(): boolean;
export type ModuleImporter = () => Promise<{ default: (options: object) => Promise<unknown> }>;
export function setModuleImporter(importer: ModuleImporter | Partial<Record<RuntimeVariant, ModuleImporter>>): void;
export function setWasmUrls(urls: Partial<Record<RuntimeVariant, URL | string | null>>): void;

// ---------------------------------------------------------------------------------------------
// BertologyModel

/** The model's task head. `replaced_token_detection`: ELECTRA's discriminator (ElectraForPreTraining), one
 * logit per token — the sigmoid is the probability that the token was replaced. */
export type ModelHead = 'base' | 'masked_lm' | 'sequence_classification' | 'token_classification' | 'question_answering'
  | 'replaced_token_detection';

export interface ModelInfo {
  model_type: string;
  head: ModelHead;
  id2label: Record<string, string>;
  problem_type?: string;
  num_labels: number;
  hidden_size: number;
  num_layers: number;
  num_heads: number;
  vocab_size: number;
  max_position_embeddings: number;
  max_sequence_length?: number;
  type_vocab_size?: number;
  /** ERNIE with use_task_id: rows of the task type table (task_type_ids in [0, n)); else 0. */
  task_type_vocab_size?: number;
  /** Width of the embedding tables (ALBERT, ELECTRA: may differ from hidden_size). */
  embedding_size?: number;
  /** Whether the model reads token types: embedded (type_vocab_size > 0) or compared as segments (XLNet). */
  uses_token_type_ids?: boolean;
  pad_token_id: number;
  hidden_act?: string;
  has_tokenizer: boolean;
  weight_bytes?: number;
  /** How the weights are held: 'q8' with dtype 'q8' or for a folder converted to int8. */
  dtype: 'fp32' | 'q8';
  model_max_length?: number;
  mask_token?: string;
  mask_token_id?: number;
  /** Where batches are padded (tokenizer_config.json `padding_side`; XLNet: left). */
  padding_side?: 'left' | 'right';
  /** Token type id of padding positions (XLNet: 3, else 0). */
  pad_token_type_id?: number;
}

/** One tokenized text (or pair) as the engine returns it; offsets are 2 per token. */
export interface Encoding {
  ids: Int32Array;
  type_ids: Int32Array;
  attention_mask: Int32Array;
  tokens: string[];
  /** [start, end) JS string indices into the text (sequence 0) or the pair (sequence 1). */
  offsets: Int32Array;
  /** The same in Unicode code points. */
  codepoint_offsets: Int32Array;
  /** 0, 1, or -1 for special tokens. */
  sequence_ids: Int32Array;
  /** -1 for special tokens. */
  word_ids: Int32Array;
  truncated: boolean;
}

/** Ids the caller already has: nested arrays or {data, dims} tensors (int32 or int64). */
export type IdsLike = number[][] | { data: ArrayLike<number | bigint>; dims: number[] };

export interface IdsInput {
  input_ids: IdsLike;
  attention_mask?: IdsLike | null;
  token_type_ids?: IdsLike | null;
  /** ERNIE 3.0 (use_task_id): task type ids, default all 0. */
  task_type_ids?: IdsLike | null;
}

export interface OutputOptions {
  /** Also return attentions [layers, batch, heads, seq, seq]. */
  output_attentions?: boolean;
  /** Also return hidden states [layers + 1, batch, seq, hidden]. */
  output_hidden_states?: boolean;
}

export interface ModelForwardOptions extends OutputOptions {
  /** Per-token heads: logits only at positions holding one of these ids ([positions, n], see logit_positions). */
  logits_for_token_ids?: number[] | null;
  /** Default true. false: last_hidden_state is not returned and, when the head reads a few rows (a
   * classifier's first token, logits_for_token_ids positions, a pooler), the last layer runs on those
   * rows alone — the same outputs for less work. */
  output_last_hidden_state?: boolean;
}

export interface ForwardOutput {
  logits?: Tensor;
  start_logits?: Tensor;
  end_logits?: Tensor;
  pooler_output?: Tensor;
  last_hidden_state?: Tensor;
  logit_positions?: Int32Array;
  hidden_states?: Tensor;
  attentions?: Tensor;
  input_ids: Tensor<Int32Array>;
  attention_mask: Tensor<Int32Array>;
  token_type_ids: Tensor<Int32Array> | null;
  /** The task type ids, when given. */
  task_type_ids?: Tensor<Int32Array>;
  encodings?: Encoding[];
}

export interface LabelScore { label: string; score: number }

export class BertologyModel {
  static load(source: ModelSource, options?: LoadOptions): Promise<BertologyModel>;
  readonly runtime: Runtime;
  readonly info: ModelInfo;
  /** The per-call limits in force (defaults overridden by the load option `limits`). */
  readonly limits: Readonly<CallLimits>;
  /** The longest input (tokens, specials included) texts are truncated to. */
  readonly maxLength: number;
  /** config.json as the model's files hold it (fields the engine ignores included). */
  readonly config: Record<string, any>;
  /** The sentence-transformers configuration, or null (no modules.json, or loaded without sentence_transformers: true). */
  readonly sentenceTransformers: SentenceTransformersConfig | null;
  /** Where the model was loaded from, with its source options (the Trainer re-reads the weights to save); null if unknown. */
  readonly origin: { source: ModelSource; options: LoadOptions } | null;
  /** Where batches of texts are padded (the tokenizer's padding_side); settable. */
  padding_side: 'left' | 'right';
  /** The engine handle; throws (DISPOSED) after dispose(). */
  readonly raw: unknown;
  /**
   * Progressive loading: resolves once the whole word-embedding table is in (at once for a model loaded
   * whole); rejects with the source's error if the rest cannot be downloaded (never an unhandled rejection).
   * Explanations and training wait for it; pipelines only for the rows their inputs use.
   */
  readonly weightsComplete: Promise<void>;
  /** Word-embedding rows not downloaded yet (0 when complete). */
  readonly weightsPending: number;
  /**
   * Makes the word-embedding rows of these token ids present (downloading them if need be) so that the
   * synchronous `forward`/`classify` on them do not throw NOT_READY; resolves at once when complete.
   */
  ensureWeights(ids: ArrayLike<number> | ArrayLike<number>[]): Promise<void>;
  tokenize(text: string | Uint8Array, pair?: string | Uint8Array | null,
    options?: { add_special_tokens?: boolean; truncation?: boolean; max_length?: number }): Encoding;
  tokenizeWindows(question: string | Uint8Array, context: string | Uint8Array, options?: { max_length?: number; stride?: number }): Encoding[];
  forward(inputs: string | string[] | IdsInput, options?: ModelForwardOptions & {
    pairs?: string | string[] | null; truncation?: boolean; max_length?: number;
  }): ForwardOutput;
  forwardEncodings(encodings: Encoding[], options?: ModelForwardOptions): ForwardOutput;
  classify(texts: string, options?: ClassifyOptions): LabelScore[];
  classify(texts: string[], options?: ClassifyOptions): LabelScore[][];
  decode(ids: ArrayLike<number>, options?: { skip_special_tokens?: boolean }): string;
  idToToken(id: number): string;
  tokenToId(token: string): number;
  /**
   * Bytes: this model's packed `weights` and activation `workspace`; for the whole wasm runtime it
   * shares, `heap_in_use` (allocated now) and `heap_size` (wasm memory, which only grows: its peak).
   */
  memoryUsage(): { weights: number; workspace: number; heap_in_use: number; heap_size: number };
  dispose(): void;
}

export interface ClassifyOptions {
  pairs?: string | string[] | null;
  top_k?: number | null;
  batch_size?: number;
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

export interface TokenizerEncoding {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
  /** [start, end) JS string indices into the text the token comes from. */
  offsets: Array<[number, number]>;
  tokens: string[];
  /** 0 the text, 1 the pair, null a special token. */
  sequence_ids: Array<number | null>;
  word_ids: Array<number | null>;
}

export interface EncodeOptions {
  add_special_tokens?: boolean;
  truncation?: boolean;
  /** Default: model_max_length. */
  max_length?: number;
  /** Tokens shared by consecutive overflowing windows. */
  stride?: number;
  return_overflowing_tokens?: boolean;
}

export class Tokenizer {
  constructor(model: BertologyModel, options?: { owned?: boolean });
  readonly model: BertologyModel;
  readonly model_max_length: number;
  readonly mask_token: string | null;
  readonly mask_token_id: number | null;
  readonly pad_token_id: number;
  readonly pad_token_type_id: number;
  /** Where batches are padded: 'left' for XLNet (tokenizer_config.json), else 'right'. Settable. */
  padding_side: 'left' | 'right';
  readonly unk_token_id: number | null;
  readonly is_wordpiece: boolean;
  encode(text: string, text_pair?: string | null, options?: EncodeOptions & { return_overflowing_tokens?: false }): TokenizerEncoding;
  encode(text: string, text_pair: string | null | undefined, options: EncodeOptions & { return_overflowing_tokens: true }): TokenizerEncoding[];
  encode(text: string, options: EncodeOptions & { return_overflowing_tokens?: false }): TokenizerEncoding;
  encode(text: string, options: EncodeOptions & { return_overflowing_tokens: true }): TokenizerEncoding[];
  tokenize(text: string): string[];
  decode(ids: ArrayLike<number | bigint>, options?: { skip_special_tokens?: boolean }): string;
  batch_decode(batch: ArrayLike<number>[], options?: { skip_special_tokens?: boolean }): string[];
  convert_ids_to_tokens(ids: number): string;
  convert_ids_to_tokens(ids: ArrayLike<number>): string[];
  convert_tokens_to_ids(tokens: string): number;
  convert_tokens_to_ids(tokens: string[]): number[];
  convert_tokens_to_string(tokens: string[]): string;
  dispose(): void;
}

export class AutoTokenizer {
  /** Loads the model's tokenizer (the engine loads the weights with it; dispose() frees them). */
  static from_pretrained(source: ModelSource | BertologyModel, options?: LoadOptions): Promise<Tokenizer>;
}

// ---------------------------------------------------------------------------------------------
// Pipelines

/** attentions / hidden_states added to a result when requested (one batch, inputs in order). */
export interface Extras {
  attentions?: Tensor;
  hidden_states?: Tensor;
}

export interface CallOptions extends OutputOptions {
  /** Inputs per forward pass (default 32; one pass when attentions/hidden states are requested). */
  batch_size?: number;
  /** Called after each forward pass of this call (not inherited from pipeline()'s options). */
  progress_callback?: (event: InferenceProgress) => void;
}

/**
 * What a pipeline did with one input's length, on every per-input result as `metadata` (a
 * non-enumerable property unless `return_metadata: true`).
 */
export interface InputMetadata {
  /** Tokens of the input (special tokens included). */
  tokens: number;
  /** The longest input the model reads. */
  max_length: number;
  /** Tokens were dropped (the model did not read all of the input). */
  truncated: boolean;
  /** Windows the input ran as (long_text "chunk", stride, question-answering windows). */
  chunks?: number;
}
export interface MetadataOptions {
  /** Make `metadata` an ordinary (enumerable) property: kept by JSON.stringify on objects and by postMessage. */
  return_metadata?: boolean;
}
type WithMetadata<T> = T & { readonly metadata: InputMetadata };
export interface LongTextOptions {
  /** Texts longer than the model: "truncate" (default) or "chunk" (overlapping windows, aggregated). */
  long_text?: 'truncate' | 'chunk';
  /** With long_text "chunk": tokens shared by consecutive windows (default 0). */
  stride?: number;
}

// explanations (pipe.explain; docs/tasks.md "Explanations")

export type ExplainMethod =
  | 'grad_x_input' | 'integrated_gradients' | 'occlusion' | 'lime' | 'attention_rollout' | 'gradient_weighted_rollout';
export interface ExplainOptions {
  /** Default 'integrated_gradients'. */
  method?: ExplainMethod;
  /** The scalar explained; default 'probability'. */
  output?: 'probability' | 'logit' | 'log_probability';
  /** Class label (name or index), fill-mask token (string or id), or 'start' / 'end' for QA; default: the prediction. */
  target?: string | number;
  /** Token classification: which word's label to explain. */
  word?: number;
  /** Token classification / QA: an explicit token index instead. */
  token?: number;
  /** Integrated gradients: 1..1024, default 32. */
  steps?: number;
  integration?: 'gausslegendre' | 'riemann_trapezoid';
  /**
   * What a removed word's word embeddings become: integrated gradients, occlusion and LIME default to
   * 'pad' (the [PAD] embedding). For grad_x_input it is the x' of gradient · (x − x'): default 'zero'
   * (the classic gradient × input); 'pad' is the first-order estimate of occlusion.
   */
  baseline?: 'pad' | 'zero';
  /** LIME: 1..10000, default 300. */
  samples?: number;
  /** LIME: default 0. */
  seed?: number;
  /**
   * Tokens per batched forward/backward (default 1024): also the longest stretch the call runs
   * between two yields to the event loop (one batch).
   */
  batch_tokens?: number;
  /** Called after every batch (and once before the first) with the items done so far. */
  progress_callback?: (event: ExplainProgress) => void;
  /** Cancels the explanation between batches: it rejects with an AbortError (code 'ABORTED'). */
  signal?: AbortSignal;
}
/** One progress event of an explanation (`progress_callback`). */
export interface ExplainProgress {
  status: 'explain';
  task: string;
  method: ExplainMethod;
  /**
   * What done/total count: 'steps' (integrated gradients' interpolation points: steps, or steps + 1
   * with the trapezoid rule), 'samples' (LIME), 'sequences' (occlusion: one per word plus the input;
   * the one-pass methods: 1).
   */
  unit: 'steps' | 'samples' | 'sequences';
  done: number;
  total: number;
}
export interface ExplainResult {
  task: string;
  method: ExplainMethod;
  prediction: {
    label: string; index: number; score: number; output: string; value: number; logit: number;
    position?: number; token?: string; predicted?: string; predicted_position?: number; predicted_score: number;
  };
  /** Per word (the sum over its tokens); `sequence` 1 is the pair / QA context. */
  words: { word: string; start: number; end: number; sequence: number; attribution: number }[];
  /** Per token; `word` -1 for special tokens. */
  tokens: { token: string; start: number; end: number; attribution: number; word: number }[];
  cost: { forward_sequences: number; backward_sequences: number };
  /** Integrated gradients only: f(baseline), f(x) − f(baseline), Σ attributions − delta. */
  baseline_value?: number;
  delta?: number;
  completeness_gap?: number;
}

export interface PipelineBase {
  readonly task: string;
  readonly model: BertologyModel;
  /** null when the model was loaded without tokenizer files (then pass ids). */
  readonly tokenizer: Tokenizer | null;
  /** Task options given to pipeline() (defaults for every call). */
  readonly defaults: Record<string, unknown>;
  readonly disposed: boolean;
  /** Explains this pipeline's prediction for `inputs` (text-classification, token-classification, fill-mask, QA). */
  explain(inputs: string | TextPair | QuestionContext, options?: ExplainOptions): Promise<ExplainResult>;
  /** Frees the model if the pipeline loaded it. */
  dispose(): Promise<void>;
}

// text-classification / sentiment-analysis

export interface TextClassificationOutput { label: string; score: number }
export interface TextPair { text: string; text_pair?: string | null }
export interface TextClassificationOptions extends CallOptions, MetadataOptions, LongTextOptions {
  /** Labels per input (default 1; null: all, sorted). */
  top_k?: number | null;
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
  truncation?: boolean;
  /** With long_text "chunk": each label's score is the mean (default) or the max over the windows. */
  chunk_aggregation?: 'mean' | 'max';
}
type One<T> = T & Extras;

export interface TextClassificationPipeline extends PipelineBase {
  /** top_k 1 (default): one {label, score} per input, in a flat list. */
  (texts: string | TextPair | string[] | TextPair[] | IdsInput, options?: TextClassificationOptions & { top_k?: 1 }): Promise<One<TextClassificationOutput[]>>;
  (texts: string | TextPair, options: TextClassificationOptions): Promise<One<TextClassificationOutput[]>>;
  (texts: string[] | TextPair[] | IdsInput, options: TextClassificationOptions): Promise<One<TextClassificationOutput[][]>>;
}

// fill-mask

export interface FillMaskOutput {
  score: number;
  token: number;
  token_str: string;
  /** The input with the mask replaced (special tokens skipped when the text has one mask). */
  sequence: string;
}
export interface FillMaskOptions extends CallOptions {
  /** Default 5. */
  top_k?: number;
  targets?: string | string[];
  /** The mask id for token-id inputs of models without a tokenizer. */
  mask_token_id?: number;
}
export interface FillMaskPipeline extends PipelineBase {
  /** One text: a list (one mask) or a list per mask (several masks). */
  (text: string, options?: FillMaskOptions): Promise<One<FillMaskOutput[] | FillMaskOutput[][]>>;
  (texts: string[] | IdsInput, options?: FillMaskOptions): Promise<One<Array<FillMaskOutput[] | FillMaskOutput[][]>>>;
}

// token-classification / ner

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';
export interface TokenClassificationOutput {
  entity: string;
  score: number;
  index: number;
  word: string;
  /** JS string indices into the text (null for token-id inputs). */
  start: number | null;
  end: number | null;
}
export interface TokenClassificationGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}
export interface TokenClassificationOptions extends CallOptions, MetadataOptions {
  aggregation_strategy?: AggregationStrategy;
  /** Default ["O"]. */
  ignore_labels?: string[];
  /**
   * Long texts: overlapping windows of the model's length sharing `stride` tokens, entities merged as
   * Hugging Face does (needs an aggregation_strategy other than "none").
   */
  stride?: number;
}
export interface TokenClassificationPipeline extends PipelineBase {
  (text: string, options?: TokenClassificationOptions & { aggregation_strategy?: 'none' }): Promise<One<TokenClassificationOutput[]>>;
  (text: string, options: TokenClassificationOptions): Promise<One<TokenClassificationGroup[]>>;
  (texts: string[] | IdsInput, options?: TokenClassificationOptions & { aggregation_strategy?: 'none' }): Promise<One<TokenClassificationOutput[][]>>;
  (texts: string[], options: TokenClassificationOptions): Promise<One<TokenClassificationGroup[][]>>;
}

// question-answering

export interface QuestionAnsweringOutput {
  answer: string;
  score: number;
  /** JS string indices into the context. */
  start: number;
  end: number;
}
export interface QuestionContext { question: string; context: string }
export interface QuestionAnsweringOptions extends CallOptions {
  /** Default 1; more gives a list per question. */
  top_k?: number;
  /** Window length in tokens (default min(384, model limit)). */
  max_seq_len?: number;
  /** Tokens shared by consecutive windows (default min(128, max_seq_len / 2)). */
  doc_stride?: number;
  /** Default 15. */
  max_answer_len?: number;
  /** Widen answers to whole words (default true). */
  align_to_words?: boolean;
  /** Allow the empty answer (default false). */
  handle_impossible_answer?: boolean;
  /** Cut questions to this many tokens (default: no limit). */
  max_question_len?: number;
  return_metadata?: boolean;
  /** This call's bound on windows over all its questions (default the model's limits.max_windows, 64). */
  max_windows?: number;
}
export interface WindowLogits { encoding: Encoding; start: Float32Array; end: Float32Array }
export interface QuestionAnsweringSettings {
  top_k: number; max_seq_len: number; doc_stride: number; max_answer_len: number;
  align_to_words: boolean; handle_impossible_answer: boolean; max_question_len: number | null;
}
export interface QuestionAnsweringPipeline extends PipelineBase {
  (question: string, context: string, options?: QuestionAnsweringOptions & { top_k?: 1 }): Promise<One<QuestionAnsweringOutput>>;
  (input: QuestionContext, options?: QuestionAnsweringOptions & { top_k?: 1 }): Promise<One<QuestionAnsweringOutput>>;
  (question: string, context: string, options: QuestionAnsweringOptions): Promise<One<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>;
  (input: QuestionContext, options: QuestionAnsweringOptions): Promise<One<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>;
  (questions: string[], contexts: string | string[], options?: QuestionAnsweringOptions): Promise<One<Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>>;
  (inputs: QuestionContext[], options?: QuestionAnsweringOptions): Promise<One<Array<QuestionAnsweringOutput | QuestionAnsweringOutput[]>>>;
  /** Resolved settings with Hugging Face's defaults. */
  settings(options: QuestionAnsweringOptions): QuestionAnsweringSettings;
  /** The windows of one question/context pair. */
  windows(input: QuestionContext, settings: { max_seq_len: number; doc_stride: number; max_question_len?: number | null }): Encoding[];
  /** Windows and their start/end logits for each pair (one model run, decode as often as needed). */
  logits(inputs: QuestionContext[], settings: { max_seq_len: number; doc_stride: number }, outputs?: CallOptions & { max_windows?: number }): Promise<{ logits: WindowLogits[][]; extras: Extras }>;
  /** Hugging Face's span decoding of one question's windows. */
  decode(context: string, windows: WindowLogits[], settings: Pick<QuestionAnsweringSettings, 'top_k' | 'max_answer_len' | 'align_to_words' | 'handle_impossible_answer'>): QuestionAnsweringOutput | QuestionAnsweringOutput[];
}

// feature-extraction / embeddings

export interface FeatureExtractionOptions extends CallOptions, MetadataOptions, LongTextOptions {
  /**
   * "none": [batch, seq, hidden], padding zeroed (the default for other models); "cls" / "mean":
   * [batch, hidden]. Sentence-transformers models default to their own modules ([batch, dim]).
   */
  pooling?: 'none' | 'cls' | 'first_token' | 'mean';
  /** L2-normalize each embedding at the end. */
  normalize?: boolean;
  truncation?: boolean;
  /** Apply the model's sentence-transformers modules (default: when it has modules.json). */
  sentence_transformers?: boolean;
  /** Text put before every input. */
  prompt?: string;
  /** A prompt of config_sentence_transformers.json by name. */
  prompt_name?: string;
  /** Keep the first dimensions (Matryoshka), before normalize. */
  truncate_dim?: number;
  /** Default "float32"; binary/ubinary give [batch, ceil(dim / 8)] bytes. */
  precision?: Precision;
  /** int8/uint8: per-dimension [min, max] ranges ([2, dim]). */
  ranges?: EmbeddingsLike;
  /** int8/uint8: take the ranges from these embeddings. */
  calibration_embeddings?: EmbeddingsLike;
}
export interface FeatureExtractionPipeline extends PipelineBase {
  (texts: string | string[] | IdsInput, options?: FeatureExtractionOptions): Promise<Tensor<any> & Extras & { readonly metadata: InputMetadata[] }>;
  /** The model's prompts (name → text). */
  readonly prompts: Record<string, string>;
  /** "cosine" unless config_sentence_transformers.json names another. */
  readonly similarity_fn_name: string;
  /** Every row of a against every row of b with the model's similarity function. */
  similarity(a: EmbeddingsLike, b: EmbeddingsLike): Tensor | number;
}

/** A sentence-transformers model's modules and settings (modules.json and the files it names). */
export interface SentenceTransformersConfig {
  modules: Array<
    | { kind: 'Transformer'; path: string }
    | { kind: 'Pooling'; modes: string[]; include_prompt: boolean; word_embedding_dimension?: number }
    | { kind: 'Dense'; in_features: number; out_features: number; weight: Float32Array; bias: Float32Array | null; activation: string }
    | { kind: 'Normalize' }
    | { kind: 'Unsupported'; type: string }>;
  prompts: Record<string, string>;
  default_prompt_name: string | null;
  similarity_fn_name: string | null;
  max_seq_length: number | null;
  do_lower_case: boolean;
}

// zero-shot-classification

export interface ZeroShotOutput {
  sequence: string;
  /** The candidate labels, most likely first. */
  labels: string[];
  scores: number[];
}
export interface ZeroShotOptions extends CallOptions, MetadataOptions {
  /** An array, or one comma-separated string. */
  candidate_labels?: string | string[];
  /** Default "This example is {}.". */
  hypothesis_template?: string;
  /** Independent labels (softmax of [contradiction, entailment] per label); default false (scores sum to 1). */
  multi_label?: boolean;
  /** This call's bound on texts × labels (default the model's limits.max_pairs, 4096). */
  max_pairs?: number;
}
export interface ZeroShotClassificationPipeline extends PipelineBase {
  (text: string, candidate_labels: string | string[], options?: ZeroShotOptions): Promise<One<WithMetadata<ZeroShotOutput>>>;
  (texts: string[], candidate_labels: string | string[], options?: ZeroShotOptions): Promise<One<WithMetadata<ZeroShotOutput>[]>>;
  (text: string, options: ZeroShotOptions & { candidate_labels: string | string[] }): Promise<One<WithMetadata<ZeroShotOutput>>>;
  (texts: string[], options: ZeroShotOptions & { candidate_labels: string | string[] }): Promise<One<WithMetadata<ZeroShotOutput>[]>>;
}

// text-ranking (cross-encoders)

export interface RankedDocument {
  /** The document's index in `documents`. */
  corpus_id: number;
  score: number;
  /** With return_documents. */
  text?: string;
}
export interface TextRankingOptions extends CallOptions, MetadataOptions {
  /** Default: all documents. */
  top_k?: number | null;
  return_documents?: boolean;
  /** Instead of the model's configured activation (Sigmoid by default). */
  activation_fn?: 'sigmoid' | 'identity' | 'none' | 'tanh';
}
export interface TextRankingPipeline extends PipelineBase {
  (query: string, documents: string[], options?: TextRankingOptions): Promise<One<WithMetadata<RankedDocument>[]>>;
  /** The activation applied to the logit (a torch class name: Sigmoid, Identity, Tanh, …). */
  readonly activation_fn: string;
}

export interface TaskPipelines {
  'text-classification': TextClassificationPipeline;
  'sentiment-analysis': TextClassificationPipeline;
  'fill-mask': FillMaskPipeline;
  'token-classification': TokenClassificationPipeline;
  ner: TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'feature-extraction': FeatureExtractionPipeline;
  embeddings: FeatureExtractionPipeline;
  'zero-shot-classification': ZeroShotClassificationPipeline;
  'text-ranking': TextRankingPipeline;
}
export type Task = keyof TaskPipelines;

/** Each task's call options, which `pipeline()` also takes as defaults for every call. */
export interface TaskOptions {
  'text-classification': TextClassificationOptions;
  'sentiment-analysis': TextClassificationOptions;
  'fill-mask': FillMaskOptions;
  'token-classification': TokenClassificationOptions;
  ner: TokenClassificationOptions;
  'question-answering': QuestionAnsweringOptions;
  'feature-extraction': FeatureExtractionOptions;
  embeddings: FeatureExtractionOptions;
  'zero-shot-classification': ZeroShotOptions;
  'text-ranking': TextRankingOptions;
}

/** `pipeline()`'s options: load options plus the task's call options (defaults); other keys are rejected. */
export type PipelineOptions<T extends Task = Task> = LoadOptions & TaskOptions[T];

/**
 * Creates a pipeline for `task` over `model` (anything BertologyModel.load accepts, or a loaded
 * model, which the pipeline then leaves to the caller). Task options in `options` (top_k,
 * aggregation_strategy, ...) become defaults for every call.
 */
export function pipeline<T extends Task>(task: T, model: ModelSource | BertologyModel, options?: PipelineOptions<T>): Promise<TaskPipelines[T]>;

export const TASKS: Task[];
export const TASK_ALIASES: Record<string, string>;
export const SUPPORTED_TASKS: Record<string, { pipeline: unknown; heads: ModelHead[] | null; needs: string }>;

// ---------------------------------------------------------------------------------------------
// Worker client (js/worker-client.js)

/** The worker's runtime, as a plain object. */
export type RuntimeMeta = RuntimeSummary;

export class RemoteModel {
  readonly handle: number;
  readonly info: ModelInfo;
  readonly maxLength: number;
  readonly runtime: RuntimeMeta;
  invoke(method: string, ...args: unknown[]): Promise<any>;
  classify(...args: unknown[]): Promise<any>;
  forward(...args: unknown[]): Promise<any>;
  forwardEncodings(...args: unknown[]): Promise<any>;
  tokenize(...args: unknown[]): Promise<any>;
  tokenizeWindows(...args: unknown[]): Promise<any>;
  decode(...args: unknown[]): Promise<string>;
  idToToken(id: number): Promise<string>;
  tokenToId(token: string): Promise<number>;
  /** Progressive loading: the worker's model has its whole word-embedding table (see BertologyModel.weightsComplete). */
  readonly weightsComplete: Promise<void>;
  ensureWeights(ids: ArrayLike<number> | ArrayLike<number>[]): Promise<void>;
  dispose(): Promise<boolean>;
}

export type RemotePipeline = ((...args: any[]) => Promise<any>) & {
  handle: number;
  task: string;
  /** The worker's model (null when the pipeline holds none). */
  model: { info: ModelInfo; runtime: RuntimeMeta } | null;
  invoke(method: string, ...args: unknown[]): Promise<any>;
  dispose(): Promise<boolean>;
};

export interface WorkerClient {
  load(source: ModelSource, options?: LoadOptions): Promise<RemoteModel>;
  pipeline<T extends Task>(task: T, model: ModelSource | RemoteModel, options?: PipelineOptions<T>): Promise<RemotePipeline>;
  /** A Trainer in the worker on a model loaded there (fit/evaluate forward progress and honour `signal`). */
  trainer(model: RemoteModel, options: TrainerOptions): Promise<RemoteTrainer>;
  /** The runtime the worker would use for `options`. */
  runtime(options?: { threads?: number }): Promise<RuntimeMeta>;
  /** Stops the worker (and every model in it). */
  terminate(): unknown;
}

/**
 * Wraps a Worker running `bertology/worker`. If it does not announce itself within `timeout` ms
 * (default env.workerTimeout), fails to load or crashes, every request rejects with a WORKER error.
 */
export function createWorkerClient(worker: unknown, options?: { timeout?: number }): WorkerClient;

// ---- Checkpoint conversion (docs/checkpoint-format.md) ----

export type ConvertDType = 'q8' | 'fp16' | 'fp32';
export const CONVERT_DTYPES: readonly ConvertDType[];

export interface ConvertOptions extends Pick<LoadOptions, 'progress_callback' | 'host' | 'revision' | 'cache' | 'sha256' |
  'fetch' | 'headers' | 'signal' | 'local_files_only'> {
  /** q8: int8 weights as the engine holds them (bitwise the results of loading the source with dtype 'q8'); fp16; fp32. */
  dtype: ConvertDType;
  /** Node only: write the converted folder here instead of returning its files. */
  outDir?: string;
  /** Replace model files already in outDir (default: an error). */
  overwrite?: boolean;
  /** Engine threads of the runtime used (default: as for models). */
  threads?: number;
  /** The engine's safetensors limits. */
  limits?: { max_header_bytes?: number; max_tensors?: number };
}

export interface ConvertResult {
  dtype: ConvertDType;
  /** Without outDir: the converted folder (config.json, model.safetensors, tokenizer files). */
  files?: Map<string, Uint8Array>;
  /** With outDir: where the folder was written. */
  outDir?: string;
  /** Tokenizer files copied unchanged. */
  copied: string[];
  /** Stored tensors by dtype (int8 ones without their scale tensors). */
  tensors: { int8: number; float16: number; bfloat16: number; float32: number; other: number };
  /** The source's weight files (all shards), in bytes. */
  input_bytes: number;
  /** The new model.safetensors. */
  output_bytes: number;
  /** The source's tensors with every float as float32 (the "fp32 file", header excluded). */
  fp32_bytes: number;
  /** output_bytes / fp32_bytes */
  ratio: number;
}

/**
 * Converts a checkpoint (directory in Node, URL, Hugging Face id, or files as bytes) so its weights are
 * stored as the engine will hold them. Runs in the engine's wasm (Node and browsers).
 */
export function convertModel(source: ModelSource, options: ConvertOptions & { outDir: string }): Promise<ConvertResult & { outDir: string }>;
export function convertModel(source: ModelSource, options: ConvertOptions & { outDir?: undefined }):
  Promise<ConvertResult & { files: Map<string, Uint8Array> }>;

// ---------------------------------------------------------------------------------------------
// Fine-tuning (js/train/)

/** A text-classification example: `label` is a label name or its index in the trainer's labels. */
export interface TextExample { text: string; label: string | number; text_pair?: string }
/** A token-classification example (one tag per word, IOB2 for NER). */
export interface TokenExample { words: string[]; tags: string[] }

export interface TrainerOptions {
  /** Default 'text-classification'. */
  task?: 'text-classification' | 'sentiment-analysis' | 'token-classification' | 'ner';
  /** Label names in id order (the saved config's id2label). */
  labels: string[];
  /**
   * What is trained besides the head: layers 0 (default) = the head only, on cached frozen features.
   * lora.target_modules: PEFT's names (default ['query', 'value']; e.g. 'key', 'dense'); lora.dropout: only 0.
   * dropout: Hugging Face's train-mode dropout in the engine modes — true = config.json's rates, an object = these.
   */
  train?: {
    layers?: number | 'all';
    lora?: { r: number; alpha?: number; dropout?: number; target_modules?: string[] } | null;
    embeddings?: boolean;
    dropout?: boolean | { hidden?: number; attention?: number; classifier?: number };
  };
  /**
   * Text classification, head only: 'cls' (default) trains the model class's own classifier on its input
   * (BERT: the pooler output), savable; 'mean' trains a linear probe on the mean-pooled last hidden state
   * (save() refuses it: no Hugging Face class classifies a mean).
   */
  pooling?: 'cls' | 'mean';
  /**
   * AdamW (torch formula) with linear warmup/decay; warmup in steps (>= 1) or a fraction (< 1); l2: λ of λ/2·‖W‖²;
   * head_lr (engine modes): the head's peak learning rate on the same schedule (default: lr).
   */
  optimizer?: { lr?: number; weight_decay?: number; warmup?: number; beta1?: number; beta2?: number; eps?: number; max_grad_norm?: number; l2?: number; head_lr?: number };
  /** Default 32. */
  batch_size?: number;
  /** Default 3. */
  epochs?: number;
  /** Longest input in tokens (default: the model's limit); longer texts are refused unless `truncation`. */
  max_length?: number;
  truncation?: boolean;
  /** Default 42. */
  seed?: number;
  /** A trainer.checkpoint() to continue from. */
  resume?: Uint8Array | null;
}

export interface TrainProgress {
  phase: 'features' | 'train' | 'evaluate';
  epoch?: number;
  step?: number;
  total_steps?: number;
  /** Mean training loss since the previous report. */
  loss?: number;
  lr?: number;
  examples_per_second?: number;
  done?: number;
  total?: number;
}

export interface FitOptions { signal?: AbortSignal; onProgress?: (progress: TrainProgress) => void }
export interface FitResult { loss: number; steps: number; epochs: number; examples_per_second: number; seconds: number; feature_seconds: number }
export interface ClassificationMetrics {
  accuracy: number; macro_f1: number; loss: number; total: number;
  per_label: Record<string, { precision: number; recall: number; f1: number; support: number }>;
}
export interface EntityMetrics { f1: number; precision: number; recall: number; accuracy: number; loss: number; total: number }

export class Trainer {
  static create(model: BertologyModel, options: TrainerOptions): Promise<Trainer>;
  readonly model: BertologyModel;
  readonly labels: string[];
  /** Optimizer steps taken so far. */
  readonly step: number;
  readonly task: 'text-classification' | 'token-classification';
  /** Copies of the classifier weight [labels, hidden] and bias [labels]. */
  readonly head: { weight: Float32Array; bias: Float32Array };
  fit(examples: TextExample[] | TokenExample[], options?: FitOptions): Promise<FitResult>;
  evaluate(examples: TextExample[], options?: FitOptions): Promise<ClassificationMetrics>;
  evaluate(examples: TokenExample[], options?: FitOptions): Promise<EntityMetrics>;
  predict(texts: string | string[]): Promise<LabelScore[][]>;
  /** The classifier's inputs (cached frozen features) [rows, hidden] and label ids. */
  features(examples: TextExample[] | TokenExample[]): Promise<{ data: Float32Array; dims: number[]; labels: Int32Array }>;
  /** A Hugging Face folder (config.json, model.safetensors, tokenizer files); with `dir` (Node) also written there. */
  save(dir?: string): Promise<Record<string, Uint8Array>>;
  /** A fresh head and optimizer (step 0), keeping the cached features; optionally new optimizer settings, epochs, batch size. */
  reset(options?: { optimizer?: TrainerOptions['optimizer']; epochs?: number; batch_size?: number }): void;
  /** Head, AdamW moments, step and options as one safetensors file, for TrainerOptions.resume. */
  checkpoint(): Uint8Array;
  dispose(): void;
}

export function labelsOf(examples: TextExample[] | TokenExample[], options?: { names?: string[] }): string[];
export function parseExamples(text: string, format?: 'auto' | 'sst2' | 'tsv' | 'csv' | 'conll', fileName?: string): TextExample[] | TokenExample[];
export function parseDelimited(text: string, options?: { delimiter?: ',' | '\t' }): TextExample[];
export function parseSst2Tsv(text: string): TextExample[];
export function parseConllExamples(text: string): TokenExample[];
export function accuracy(gold: ArrayLike<number>, predicted: ArrayLike<number>): number;
export function macroF1(gold: ArrayLike<number>, predicted: ArrayLike<number>, numLabels: number):
  { macro_f1: number; per_label: { precision: number; recall: number; f1: number; support: number }[] };
export function entityF1(gold: string[][], predicted: string[][]):
  { precision: number; recall: number; f1: number; correct: number; goldCount: number; predictedCount: number };

/** A Trainer living in a worker (createWorkerClient(...).trainer); every method returns a promise. */
export class RemoteTrainer {
  readonly handle: number;
  readonly labels: string[];
  readonly task: string;
  fit(examples: TextExample[] | TokenExample[], options?: FitOptions): Promise<FitResult>;
  evaluate(examples: TextExample[], options?: FitOptions): Promise<ClassificationMetrics>;
  evaluate(examples: TokenExample[], options?: FitOptions): Promise<EntityMetrics>;
  predict(texts: string | string[]): Promise<LabelScore[][]>;
  /** The Hugging Face folder as {file name: bytes}. */
  save(): Promise<Record<string, Uint8Array>>;
  checkpoint(): Promise<Uint8Array>;
  reset(options?: { optimizer?: TrainerOptions['optimizer']; epochs?: number; batch_size?: number }): Promise<void>;
  dispose(): Promise<boolean>;
}
