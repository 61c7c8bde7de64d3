// The app's only configuration: the cross-origin isolation headers that give the page (and its
// workers) SharedArrayBuffer, hence Bertology's threaded build. Without them it runs single-threaded.
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default { server: { headers: isolation }, preview: { headers: isolation } };
