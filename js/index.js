// Bertology: BERT-family inference in WebAssembly. Package entry.
//
//   import { BertologyModel } from 'bertology';
//   const model = await BertologyModel.load('models/bert-mini-sst2', { threads: 2 });
//   model.classify('I loved it');   // [{label: 'POSITIVE', score: 0.99}, ...]
//   model.dispose();

export { BertologyModel } from './model.js';
export { BertologyError } from './errors.js';
export { CALL_LIMITS } from './limits.js';
export { pipeline, SUPPORTED_TASKS, TASKS, TASK_ALIASES } from './pipeline.js';
export { AutoTokenizer, Tokenizer } from './tokenizer.js';
export { getRuntime, shutdown, defaultThreadCount, setModuleImporter, setWasmUrls, threadsAvailable } from './runtime.js';
export { env, hubBaseUrl } from './sources/index.js';
export { createWorkerClient, RemoteModel, RemoteTrainer } from './worker-client.js';
export { argmax, softmax, sigmoid, Tensor } from './tensor.js';
export { cos_sim, dot_score, euclidean_sim, manhattan_sim, semanticSearch, quantizeEmbeddings } from './similarity.js';
export { convertModel, CONVERT_DTYPES } from './convert.js';
export { Trainer, labelsOf, parseExamples, parseDelimited, parseSst2Tsv, parseConllExamples, accuracy, macroF1, entityF1 } from './train/index.js';
