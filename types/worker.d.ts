// Type declarations for `bertology/worker` (js/worker.js): the worker entry. Importing it in a Web
// Worker (or a Node worker_threads worker) makes that worker answer `createWorkerClient`; it exports
// nothing.
export {};
