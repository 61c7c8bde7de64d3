import { nodeResolve } from '@rollup/plugin-node-resolve';

// The page and its worker as ES modules; node-resolve finds 'bertology' in node_modules.
export default {
  input: ['src/main.js', 'src/worker.js'],
  output: { dir: 'public/assets', format: 'es' },
  plugins: [nodeResolve()],
};
