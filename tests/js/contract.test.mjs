// The C++↔JS contract is written once (src/bindings/engine_contract.json). This test fails when any
// place that restates it disagrees: the generated files (js/engine-contract.js, src/bindings/contract.h),
// the Embind registration (src/bindings/*.cc: names, constructor and method arity), web/emscripten-pre.js,
// StatusCodeName and StatusDetails (src/core/status.h), the bindings' error objects (js_values.h), the
// JS typedefs (js/runtime.js EngineModule, js/errors.js), types/index.d.ts, and the built module itself
// (its entry points, and option parsers that accept exactly the contract's option names).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, readContract, staleFiles } from '../../scripts/contract.mjs';
import { BertologyModel } from '../../js/index.js';
import { getRuntime } from '../../js/runtime.js';
import { SKIP_REASON, readModelFiles, sharedPath } from './helpers/shared.js';

const contract = readContract();
const read = (/** @type {string} */ file) => readFileSync(join(REPO, file), 'utf8');
const sorted = (/** @type {Iterable<string>} */ xs) => [...xs].sort();
const engineCodes = contract.errorCodes.engine.map((/** @type {any} */ e) => e.code);
const jsCodes = contract.errorCodes.js.map((/** @type {any} */ e) => e.code);

test('the generated files are up to date with the contract', () => {
  assert.deepEqual(staleFiles(), [], 'run node scripts/contract.mjs');
});

/** Number of top-level, comma-separated parameters in a C++ parameter list. */
function arity(/** @type {string} */ params) {
  let depth = 0, n = params.trim() ? 1 : 0;
  for (const ch of params) {
    if ('<(['.includes(ch)) depth++;
    else if ('>)]'.includes(ch)) depth--;
    else if (ch === ',' && depth === 0) n++;
  }
  return n;
}

const bindingsDir = 'src/bindings';
const cppSources = readdirSync(join(REPO, bindingsDir)).filter((f) => /\.(cc|h)$/.test(f) && f !== 'contract.h')
  .map((f) => read(`${bindingsDir}/${f}`)).join('\n');

/**
 * The parameter count of the C++ function or method `qualified` (e.g. "bt::JsModel::forward" or
 * "bt::SetThreads"), from its declaration in the bindings' sources.
 */
function cppArity(/** @type {string} */ qualified) {
  const name = qualified.split('::').at(-1);
  const re = new RegExp(`[\\w:<>&*]+\\s+${name}\\(([^)]*)\\)\\s*(?:const\\s*)?(?:override\\s*)?[{;]`, 'g');
  const found = [...cppSources.matchAll(re)].map((m) => arity(m[1]));
  assert.ok(found.length > 0, `no declaration of ${qualified} in ${bindingsDir}`);
  assert.ok(found.every((n) => n === found[0]), `${qualified}: ambiguous declarations ${found}`);
  return found[0];
}

/** What EMSCRIPTEN_BINDINGS registers: functions and classes with constructor arity and methods. */
function registration() {
  /** @type {Map<string, number>} */
  const functions = new Map();
  /** @type {Map<string, {constructor: number | null, methods: Map<string, number>}>} */
  const classes = new Map();
  for (const block of cppSources.matchAll(/EMSCRIPTEN_BINDINGS\(\w+\)\s*\{([\s\S]*?)\n\}/g)) {
    const body = block[1];
    for (const m of body.matchAll(/(?<![.\w])function\("(\w+)",\s*&([\w:]+)\)/g)) functions.set(m[1], cppArity(m[2]));
    for (const m of body.matchAll(/class_<[\w:]+>\("(\w+)"\)([\s\S]*?);/g)) {
      const ctor = /\.constructor<([^>]*)>\((?:allow_raw_pointers\(\))?\)/.exec(m[2]);
      /** @type {Map<string, number>} */
      const methods = new Map();
      for (const f of m[2].matchAll(/\.function\("(\w+)",\s*&([\w:]+)\)/g)) methods.set(f[1], cppArity(f[2]));
      classes.set(m[1], { constructor: ctor ? arity(ctor[1]) : null, methods });
    }
  }
  return { functions, classes };
}

test('the Embind registration is the contract: names, constructor and method arity', () => {
  const { functions, classes } = registration();
  const embindFunctions = contract.module.functions.filter((/** @type {any} */ f) => !f.preJs);
  assert.deepEqual(sorted(functions.keys()), sorted(embindFunctions.map((/** @type {any} */ f) => f.name)), 'module functions');
  for (const f of embindFunctions) assert.equal(functions.get(f.name), f.params.length, `${f.name}: parameters`);
  assert.deepEqual(sorted(classes.keys()), sorted(contract.module.classes.map((/** @type {any} */ c) => c.name)), 'classes');
  for (const c of contract.module.classes) {
    const reg = /** @type {{constructor: number | null, methods: Map<string, number>}} */ (classes.get(c.name));
    assert.equal(reg.constructor, c.constructor.length, `${c.name}: constructor parameters`);
    assert.deepEqual(sorted(reg.methods.keys()), sorted(c.methods.map((/** @type {any} */ m) => m.name)), `${c.name}: methods`);
    for (const m of c.methods) assert.equal(reg.methods.get(m.name), m.params.length, `${c.name}.${m.name}: parameters`);
  }
});

test('web/emscripten-pre.js defines exactly the contract\'s preJs entry points', () => {
  const pre = read('web/emscripten-pre.js');
  // top-level definitions (emscripten's own hooks such as locateFile are set inside conditions)
  const defined = new Map([...pre.matchAll(/^Module\['(\w+)'\]\s*=\s*function\s*\(([^)]*)\)/gm)].map((m) => [m[1], arity(m[2])]));
  const preJs = contract.module.functions.filter((/** @type {any} */ f) => f.preJs);
  assert.deepEqual(sorted(defined.keys()), sorted(preJs.map((/** @type {any} */ f) => f.name)));
  for (const f of preJs) assert.equal(defined.get(f.name), f.params.length, `${f.name}: parameters`);
});

test('the forward flags reach C++ and JS only through the contract', () => {
  const header = read('src/bindings/contract.h');
  for (const f of contract.forwardFlags) assert.match(header, new RegExp(`= ${f.bit};`));
  const jsModel = read('src/bindings/js_model.cc');
  for (const f of contract.forwardFlags) {
    const constant = `kForward${f.name.toLowerCase().split('_').map((/** @type {string} */ w) => w[0].toUpperCase() + w.slice(1)).join('')}`;
    assert.ok(jsModel.includes(`contract::${constant}`), `js_model.cc reads ${f.name} as contract::${constant}`);
  }
  assert.doesNotMatch(jsModel, /flags\s*&\s*\d/, 'js_model.cc: a bare flag number');
  const model = read('js/model.js');
  for (const f of contract.forwardFlags) assert.ok(model.includes(`FORWARD_FLAGS.${f.name}`), `js/model.js uses FORWARD_FLAGS.${f.name}`);
  assert.doesNotMatch(read('bench/lib/common.mjs'), /return g\.head === 'base' \? 0 : \d/, 'bench: a bare flag number');
});

test('StatusCode, StatusCodeName, StatusDetails and the error objects follow the contract', () => {
  const status = read('src/core/status.h');
  const enumBody = /enum class StatusCode[^{]*\{([\s\S]*?)\};/.exec(status)?.[1] ?? '';
  const enumNames = [...enumBody.matchAll(/^\s*(k\w+)/gm)].map((m) => m[1]).filter((n) => n !== 'kOk');
  assert.deepEqual(enumNames, contract.errorCodes.engine.map((/** @type {any} */ e) => e.cpp), 'StatusCode (same order)');
  for (const e of contract.errorCodes.engine) {
    assert.match(status, new RegExp(`case StatusCode::${e.cpp}: return "${e.code}";`), `StatusCodeName(${e.cpp})`);
  }
  // StatusDetails: a string per detail (`tensor` is a flag: the detail is then `field`'s name).
  const detailsBody = /struct StatusDetails \{([\s\S]*?)\n\};/.exec(status)?.[1] ?? '';
  const members = [...detailsBody.matchAll(/^\s*(?:std::string|bool) (\w+)(?: = \w+)?;/gm)].map((m) => m[1]);
  assert.deepEqual(sorted(members), sorted(contract.errorCodes.details), 'StatusDetails members');
  const values = read('src/bindings/js_values.h');
  const set = [...values.matchAll(/details\.set\("(\w+)"/g)].map((m) => m[1]);
  assert.deepEqual(set, contract.errorCodes.details, 'ErrorObject sets each detail');
});

test('the JS typedefs are the contract\'s', () => {
  assert.match(read('js/runtime.js'), /@typedef \{import\('\.\/engine-contract\.js'\)\.EngineBindings & EmscriptenParts\} EngineModule/);
  const errors = read('js/errors.js');
  assert.match(errors, /@typedef \{import\('\.\/engine-contract\.js'\)\.ErrorCode\} BertologyErrorCode/);
  assert.match(errors, /@typedef \{import\('\.\/engine-contract\.js'\)\.EngineError\} EngineError/);
});

test('types/index.d.ts: error codes, error details, engine load options and limits as in the contract', () => {
  const dts = read('types/index.d.ts');
  const union = /export type BertologyErrorCode =([^;]*);/.exec(dts)?.[1] ?? '';
  assert.deepEqual(sorted([...union.matchAll(/'(\w+)'/g)].map((m) => m[1])), sorted([...engineCodes, ...jsCodes]), 'BertologyErrorCode');
  const details = /export interface EngineErrorDetails \{([\s\S]*?)\n\}/.exec(dts)?.[1] ?? '';
  assert.deepEqual([...details.matchAll(/^\s*(\w+)\?:/gm)].map((m) => m[1]), contract.errorCodes.details, 'EngineErrorDetails');
  const load = /export interface LoadOptions \{([\s\S]*?)\n\}/.exec(dts)?.[1] ?? '';
  const loadKeys = [...load.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]);
  const internal = contract.internalOptions?.load ?? [];  // set by js/ itself (progressive loading)
  for (const name of contract.options.load) assert.ok(loadKeys.includes(name) !== internal.includes(name), `LoadOptions.${name}`);
  const limits = /export interface Limits extends Partial<CallLimits> \{([\s\S]*?)\n\}/.exec(dts)?.[1] ?? '';
  assert.deepEqual([...limits.matchAll(/^ {2}(\w+)\?:/gm)].map((m) => m[1]), contract.options.limits, 'Limits: the engine\'s limits');
});

const TINY = 'tiny-bert-bert-sequenceclassification';
/** @type {BertologyModel} */
let model;
/** @type {import('../../js/runtime.js').EngineModule} */
let engine;

before(async () => {
  if (SKIP_REASON) return;
  model = await BertologyModel.load({
    ...readModelFiles(sharedPath('models', 'tiny', TINY), ['config.json', 'model.safetensors']),
    ...readModelFiles(sharedPath('tokenizers', 'bert-base-uncased'), ['tokenizer.json', 'tokenizer_config.json']),
  }, { threads: 1 });
  engine = (await getRuntime({ threads: 1 })).module;
});
after(() => model?.dispose());

test('the built module has the contract\'s entry points', { skip: SKIP_REASON }, () => {
  for (const f of contract.module.functions) assert.equal(typeof /** @type {any} */ (engine)[f.name], 'function', f.name);
  const embindExtras = new Set(['constructor', 'clone', 'delete', 'deleteLater', 'isAliasOf', 'isDeleted']);
  for (const c of contract.module.classes) {
    const cls = /** @type {any} */ (engine)[c.name];
    assert.equal(typeof cls, 'function', c.name);
    const methods = Object.getOwnPropertyNames(cls.prototype).filter((n) => !embindExtras.has(n));
    assert.deepEqual(sorted(methods), sorted(c.methods.map((/** @type {any} */ m) => m.name)), `${c.name}'s methods`);
  }
});

/** @param {unknown} r */
const unknownOption = (r) => typeof r === 'object' && r !== null && 'error' in r && /unknown option/.test(String(r.error));

test('the option parsers accept exactly the contract\'s option names', { skip: SKIP_REASON }, () => {
  const raw = model.raw;
  const tokenize = (/** @type {object} */ o) => raw.tokenize('a test', null, JSON.stringify(o));
  const explainer = new engine.Explainer(raw);
  const ids = Int32Array.from([101, 1037, 3231, 102]);
  const words = Int32Array.from([-1, 0, 1, -1]);
  const explainWith = (/** @type {object} */ o) => explainer.explain(ids, null, words, JSON.stringify(o));
  const store = new engine.FileStore();
  const loadWith = (/** @type {object} */ o) => {
    const r = engine.loadModel(store, JSON.stringify(o));  // an empty store: the option check comes first
    if ('model' in r) r.model.delete();
    return r;
  };
  try {
    const convertWith = (/** @type {object} */ o) => {
      const converter = new engine.Converter(store, JSON.stringify(o));
      const r = converter.error();
      converter.delete();
      return r;
    };
    // A trainer on features (no model): the option check comes first.
    const trainWith = (/** @type {object} */ o) => {
      const trainer = new engine.Trainer(null, JSON.stringify({ num_labels: 2, from_features: { size: 4 },
        optimizer: { total_steps: 1 }, ...o }));
      const r = trainer.error();
      trainer.delete();
      return r;
    };
    /** @type {Record<string, (o: object) => unknown>} */
    const parsers = {
      load: loadWith, tokenize, explain: explainWith, limits: (o) => loadWith({ limits: o }), convert: convertWith,
      train: trainWith, optimizer: (o) => trainWith({ optimizer: { total_steps: 1, ...o } }),
      lora: (o) => trainWith({ lora: o }), features: (o) => trainWith({ from_features: o }),
      dropout: (o) => trainWith({ dropout: o }),
    };
    assert.deepEqual(sorted(Object.keys(parsers)), sorted(Object.keys(contract.options)), 'every options JSON is exercised');
    for (const [kind, parse] of Object.entries(parsers)) {
      const r = /** @type {any} */ (parse({ not_an_option: 1 }));
      assert.ok(unknownOption(r), `${kind}: an unknown option is refused (${JSON.stringify(r)})`);
      assert.equal(r.code, 'INVALID_ARGUMENT', kind);
      for (const name of contract.options[kind]) {
        const value = /** @type {Record<string, unknown>} */ ({ dtype: 'fp32', limits: {}, validate_weights: true, method: 'grad_x_input', output: 'logit', integration: 'riemann_trapezoid', baseline: 'pad', truncation: true })[name] ?? 1;
        const got = parse({ [name]: value });
        assert.ok(!unknownOption(got), `${kind}.${name} is accepted by the engine (${JSON.stringify(got)})`);
      }
    }
  } finally {
    store.delete();
    explainer.delete();
  }
});
