// Bertology: BERT-family inference in WebAssembly. Package entry.
//
//   import { BertologyModel } from 'bertology';
//   const model = await BertologyModel.load('models/bert-mini-sst2', { threads: 2 });
//   model.classify('I loved it');   // [{label: 'POSITIVE', score: 0.99}, ...]
//   model.dispose();

export { BertologyModel } from './model.js';
export { BertologyError } from './errors.js';
export { getRuntime, shutdown, defaultThreadCount, setModuleImporter } from './runtime.js';
export { argmax, softmax, sigmoid } from './tensor.js';
