// The transformers.js side of bench/ttfr.mjs: the smallest app that shows a sentiment result.
// Everything is served by the benchmark's server: the model under /models/ (onnx/model.onnx for fp32,
// onnx/model_quantized.onnx for q8) and onnxruntime-web's wasm files under /ort/ — nothing remote.
// ?dtype=fp32|q8 picks the weights; ?wasm=asyncify|plain picks onnxruntime-web's wasm variant. Like
// examples/vite, it shows the result in #result and sets data-state="done" (or "error").
import { env, pipeline } from '@huggingface/transformers';

const params = new URLSearchParams(location.search);
const variant = params.get('wasm') === 'plain' ? '' : '.asyncify';
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = '/models/';
env.useBrowserCache = false;
env.backends.onnx.wasm.wasmPaths = { mjs: `/ort/ort-wasm-simd-threaded${variant}.mjs`, wasm: `/ort/ort-wasm-simd-threaded${variant}.wasm` };
if (params.get('threads')) env.backends.onnx.wasm.numThreads = Number(params.get('threads'));

const out = document.getElementById('result');
try {
  const classify = await pipeline('sentiment-analysis', 'bert-mini-sst2', { dtype: params.get('dtype') ?? 'fp32', device: 'wasm' });
  const [r] = await classify('A gorgeous, witty film that never loses its nerve.');
  out.textContent = JSON.stringify({ label: r.label, score: r.score, threads: env.backends.onnx.wasm.numThreads });
  out.dataset.ms = String(performance.now());
  out.dataset.state = 'done';
} catch (e) {
  out.textContent = `Error: ${e?.message ?? e}`;
  out.dataset.state = 'error';
}
