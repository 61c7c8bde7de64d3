// --pre-js of the relaxed kernel test program (CommonJS glue, Node only): emscripten 3.1.6's glue
// would call Node's global `fetch` on a file path; without it the glue reads the .wasm with fs. (The
// ctest emulator flag --no-experimental-fetch does the same for Node 20, but Node 24 rejects it.)
var fetch = undefined;
