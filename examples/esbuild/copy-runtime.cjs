// Copies Bertology's runtime files (the wasm builds, their glue and the pthread worker) next to the
// app, where env.wasmPaths ('/bertology/') points.
const { cpSync } = require('node:fs');

cpSync('node_modules/bertology/dist', 'public/bertology', { recursive: true });
