// Type declarations for `bertology/worker-client` (js/worker-client.js): the engine-free client of
// `bertology/worker`, for pages that keep the wasm out of their main bundle.
export { createWorkerClient, RemoteModel, RemoteTrainer } from './index.js';
export type { WorkerClient, RemotePipeline, TrainerOptions, TrainProgress, FitResult, RuntimeMeta, RuntimeSummary, ModelInfo, LoadOptions, PipelineOptions, Task } from './index.js';
