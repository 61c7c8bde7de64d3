// Types of the emscripten glue modules (dist/bertology.mjs, dist/bertology-st.mjs); the build copies
// this file next to each as <name>.d.mts so that `tsc --checkJs` over js/ does not type-check the
// generated glue. The module's shape as the JS layer uses it: js/runtime.js, typedef EngineModule.
declare const createModule: (options?: object) => Promise<any>;
export default createModule;
