#!/usr/bin/env node
// Relaxed-SIMD opcode numbering between clang 16 and binaryen 108 (docs/build.md, "Relaxed SIMD").
//
// clang-16 writes the standardized relaxed-SIMD opcodes; emscripten 3.1.6's binaryen (108) still
// reads and writes the pre-standard numbering, in which the standard i32x4.relaxed_dot_i8x16_i7x16_add_s
// (0xfd 0x113) is i16x8.dot_i8x16_i7x16_u, a two-operand instruction: binaryen misreads such a module
// without an error and writes an invalid one. So the relaxed kernel object is renumbered for
// binaryen before the link (to-binaryen108) and the linked module back to the standard (to-standard).
//
// Every code section is decoded instruction by instruction (a byte search could hit immediates or
// constants), each function body must end exactly at its last `end` with balanced blocks, and every
// relaxed instruction is listed. Only the mapped instructions may appear: anything else in the relaxed
// range is an error, so an opcode the two numberings disagree on can never pass through silently.
//
//   node tools/wasm_relaxed_opcodes.mjs to-binaryen108 IN.o OUT.o
//   node tools/wasm_relaxed_opcodes.mjs to-standard IN.wasm OUT.wasm [--expect NAME=COUNT ...]
//   node tools/wasm_relaxed_opcodes.mjs list FILE.wasm          (standard numbering)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The relaxed instructions the engine uses, in both numberings (0xfd-prefixed sub-opcodes). Both are
// encoded as 2-byte LEBs, so renumbering patches bytes in place and moves nothing.
export const RELAXED = [
  { name: 'i16x8.relaxed_dot_i8x16_i7x16_s', standard: 0x112, binaryen108: 0x112 },
  { name: 'i32x4.relaxed_dot_i8x16_i7x16_add_s', standard: 0x113, binaryen108: 0x114 },
];

// Every other relaxed opcode of either numbering: standard 0x100..0x113, and the pre-standard ones
// binaryen 108 knows (gaps of the SIMD128 table, and 0x111..0x115).
const PRESTANDARD_RELAXED = new Set([0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2,
  0xd3, 0xd4, 0xe2, 0xee, 0x111, 0x112, 0x113, 0x114, 0x115]);
// Sub-opcodes SIMD128 leaves unassigned (the pre-standard relaxed ones sat there, and three more).
const SIMD128_GAPS = new Set([0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0,
  0xd2, 0xd3, 0xd4, 0xe2, 0xee]);

/** Is `op` (0xfd sub-opcode) a relaxed instruction in `numbering` ('standard' | 'binaryen108')? */
function isRelaxed(op, numbering) {
  return numbering === 'standard' ? op >= 0x100 && op <= 0x113 : PRESTANDARD_RELAXED.has(op);
}
/** Is `op` a SIMD128 (final, non-relaxed) instruction? */
function isSimd128(op) {
  return op <= 0xff && !SIMD128_GAPS.has(op);
}

class Reader {
  /** @param {Uint8Array} bytes @param {number} pos @param {number} end */
  constructor(bytes, pos, end) { this.b = bytes; this.pos = pos; this.end = end; }
  byte() {
    if (this.pos >= this.end) throw new Error(`unexpected end of data at byte ${this.pos}`);
    return this.b[this.pos++];
  }
  u32() {
    let result = 0, shift = 0, byte;
    do {
      byte = this.byte();
      if (shift < 32) result += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 35) throw new Error(`LEB128 too long at byte ${this.pos}`);
    } while (byte & 0x80);
    return result;
  }
  sleb(maxBits) {  // skips a signed LEB of up to maxBits bits
    let shift = 0, byte;
    do {
      byte = this.byte();
      shift += 7;
      if (shift > maxBits + 7) throw new Error(`signed LEB128 too long at byte ${this.pos}`);
    } while (byte & 0x80);
  }
  skip(n) {
    if (this.pos + n > this.end) throw new Error(`unexpected end of data at byte ${this.pos}`);
    this.pos += n;
  }
  memarg() {
    const align = this.u32();
    if (align & 0x40) this.u32();  // multi-memory index
    this.u32();  // offset (memory32)
  }
  blocktype() {
    const b = this.b[this.pos];
    if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) {
      this.pos++;
    } else {
      this.sleb(33);  // a type index
    }
  }
}

/**
 * Decodes one function body's instructions; calls onSimd(op, opPos, opLen) for every 0xfd instruction
 * (opPos/opLen: where its sub-opcode LEB sits). Throws on anything it cannot decode.
 */
function decodeBody(r, numbering, onSimd) {
  let depth = 1;  // the function body is a block closed by its final `end`
  while (depth > 0) {
    const at = r.pos;
    const op = r.byte();
    switch (op) {
      case 0x02: case 0x03: case 0x04: case 0x06: r.blocktype(); depth++; break;  // block loop if try
      case 0x0b: depth--; break;  // end
      case 0x05: case 0x19: case 0x00: case 0x01: case 0x0f: case 0x1a: case 0x1b: case 0xd1: break;
      case 0x07: case 0x08: case 0x09: case 0x0c: case 0x0d: case 0x10: case 0xd2: r.u32(); break;
      case 0x18: r.u32(); depth--; break;  // delegate closes its try
      case 0x0e: { const n = r.u32(); for (let i = 0; i <= n; i++) r.u32(); break; }  // br_table
      case 0x11: case 0x13: r.u32(); r.u32(); break;  // call_indirect, return_call_indirect
      case 0x12: r.u32(); break;  // return_call
      case 0x1c: { const n = r.u32(); r.skip(n); break; }  // select t*
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: r.u32(); break;
      case 0x3f: case 0x40: r.byte(); break;  // memory.size/grow
      case 0x41: r.sleb(32); break;
      case 0x42: r.sleb(64); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0xd0: r.byte(); break;  // ref.null
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) break;  // trunc_sat
        if (sub === 8) { r.u32(); r.byte(); break; }  // memory.init
        if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) { r.u32(); break; }
        if (sub === 10 || sub === 12 || sub === 14) { r.u32(); r.u32(); break; }
        if (sub === 11) { r.byte(); break; }  // memory.fill
        throw new Error(`unknown 0xfc ${sub} at byte ${at}`);
      }
      case 0xfe: {
        const sub = r.u32();
        if (sub === 0x03) { r.byte(); break; }  // atomic.fence
        if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) { r.memarg(); break; }
        throw new Error(`unknown 0xfe ${sub} at byte ${at}`);
      }
      case 0xfd: {
        const opPos = r.pos;
        const sub = r.u32();
        const opLen = r.pos - opPos;
        if (sub <= 11 || sub === 0x5c || sub === 0x5d) r.memarg();
        else if (sub === 12 || sub === 13) r.skip(16);
        else if (sub >= 21 && sub <= 34) r.byte();
        else if (sub >= 0x54 && sub <= 0x5b) { r.memarg(); r.byte(); }
        else if (!isRelaxed(sub, numbering) && !isSimd128(sub)) {
          throw new Error(`unknown SIMD opcode 0xfd 0x${sub.toString(16)} at byte ${at} (${numbering} numbering)`);
        }
        onSimd(sub, opPos, opLen);
        break;
      }
      default:
        if ((op >= 0x28 && op <= 0x3e)) { r.memarg(); break; }
        if (op >= 0x45 && op <= 0xc4) break;  // numeric, sign-ext
        throw new Error(`unknown opcode 0x${op.toString(16)} at byte ${at}`);
    }
  }
  if (r.pos !== r.end) throw new Error(`function body ends at byte ${r.pos}, expected ${r.end}`);
}

/** Function names from the "name" custom section (present with --profiling-funcs), by function index. */
function functionNames(bytes, start, end) {
  const names = new Map();
  const r = new Reader(bytes, start, end);
  while (r.pos < r.end) {
    const id = r.byte();
    const size = r.u32();
    const next = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const idx = r.u32();
        const len = r.u32();
        names.set(idx, new TextDecoder().decode(bytes.subarray(r.pos, r.pos + len)));
        r.skip(len);
      }
    }
    r.pos = next;
  }
  return names;
}

/**
 * Every relaxed instruction of a module or relocatable object, in `numbering`.
 * @param {Uint8Array} bytes
 * @param {'standard' | 'binaryen108'} numbering
 * @returns {{relaxed: {func: number, name: string | null, offset: number, op: number, len: number}[], simd: number, functions: number}}
 */
export function scan(bytes, numbering) {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new Error('not a wasm file');
  const r = new Reader(bytes, 8, bytes.length);
  let imported = 0;
  let names = new Map();
  const relaxed = [];
  let simd = 0, functions = 0;
  while (r.pos < r.end) {
    const id = r.byte();
    const size = r.u32();
    const start = r.pos, end = start + size;
    if (id === 2) {  // imports: count function imports, so code indices are function indices
      const s = new Reader(bytes, start, end);
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        s.skip(s.u32()); s.skip(s.u32());
        const kind = s.byte();
        if (kind === 0) { imported++; s.u32(); }
        else if (kind === 1) { s.byte(); const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 2) { const f = s.byte(); s.u32(); if (f & 1) s.u32(); }
        else if (kind === 3) { s.byte(); s.byte(); }
        else if (kind === 4) { s.byte(); s.u32(); }
        else throw new Error(`unknown import kind ${kind}`);
      }
    } else if (id === 0) {
      const s = new Reader(bytes, start, end);
      const len = s.u32();
      const name = new TextDecoder().decode(bytes.subarray(s.pos, s.pos + len));
      if (name === 'name') names = functionNames(bytes, s.pos + len, end);
    } else if (id === 10) {
      const s = new Reader(bytes, start, end);
      const n = s.u32();
      for (let i = 0; i < n; i++) {
        const bodySize = s.u32();
        const bodyEnd = s.pos + bodySize;
        const body = new Reader(bytes, s.pos, bodyEnd);
        const groups = body.u32();
        for (let g = 0; g < groups; g++) { body.u32(); body.byte(); }
        const func = imported + i;
        decodeBody(body, numbering, (op, offset, len) => {
          simd++;
          if (isRelaxed(op, numbering)) relaxed.push({ func, name: null, offset, op, len });
        });
        s.pos = bodyEnd;
        functions++;
      }
    }
    r.pos = end;
  }
  for (const x of relaxed) x.name = names.get(x.func) ?? null;
  return { relaxed, simd, functions };
}

/**
 * Renumbers the mapped relaxed instructions from one numbering to the other (a copy); throws on any
 * relaxed instruction that is not mapped, or on a target opcode already present.
 * @param {Uint8Array} bytes
 * @param {'standard' | 'binaryen108'} from
 * @param {'standard' | 'binaryen108'} to
 */
export function renumber(bytes, from, to) {
  const { relaxed, simd, functions } = scan(bytes, from);
  const out = new Uint8Array(bytes);
  const patched = [];
  for (const x of relaxed) {
    const entry = RELAXED.find((e) => e[from] === x.op);
    if (!entry) {
      throw new Error(`relaxed opcode 0xfd 0x${x.op.toString(16)} (${from}) in function ${x.func} at byte ${x.offset} ` +
        'has no known equivalent in the other numbering');
    }
    if (x.len !== 2) throw new Error(`unexpected ${x.len}-byte opcode encoding at byte ${x.offset}`);
    const target = entry[to];
    out[x.offset] = (target & 0x7f) | 0x80;
    out[x.offset + 1] = target >> 7;
    patched.push({ ...x, instruction: entry.name, from: x.op, to: target });
  }
  // The result must decode in the target numbering with the same instruction stream.
  const check = scan(out, to);
  if (check.simd !== simd || check.functions !== functions || check.relaxed.length !== relaxed.length) {
    throw new Error('renumbered module does not decode to the same instruction stream');
  }
  return { bytes: out, patched, simd, functions };
}

function hex(n) { return `0x${n.toString(16)}`; }

function main(argv) {
  const [cmd, input, output, ...rest] = argv;
  if (cmd === 'list') {
    const { relaxed, simd, functions } = scan(readFileSync(input), 'standard');
    for (const x of relaxed) {
      const e = RELAXED.find((r) => r.standard === x.op);
      console.log(`func ${x.func}${x.name ? ` (${x.name})` : ''} byte ${x.offset}: ${e ? e.name : '?'} (${hex(x.op)})`);
    }
    console.log(`${relaxed.length} relaxed of ${simd} SIMD instructions in ${functions} functions`);
    return;
  }
  if (cmd !== 'to-binaryen108' && cmd !== 'to-standard') {
    console.error('usage: wasm_relaxed_opcodes.mjs to-binaryen108|to-standard IN OUT [--expect NAME=COUNT ...] | list FILE');
    process.exit(2);
  }
  const from = cmd === 'to-standard' ? 'binaryen108' : 'standard';
  const to = cmd === 'to-standard' ? 'standard' : 'binaryen108';
  const { bytes, patched, simd, functions } = renumber(readFileSync(input), from, to);
  const counts = new Map();
  for (const p of patched) {
    console.log(`  func ${p.func}${p.name ? ` (${p.name})` : ''} byte ${p.offset}: ${p.instruction} ${hex(p.from)} -> ${hex(p.to)}`);
    counts.set(p.instruction, (counts.get(p.instruction) ?? 0) + 1);
  }
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '--expect') continue;
    const [name, atLeast] = rest[++i].split('=');
    if ((counts.get(name) ?? 0) < Number(atLeast)) {
      console.error(`${input}: expected at least ${atLeast} × ${name}, found ${counts.get(name) ?? 0}`);
      process.exit(1);
    }
  }
  const summary = [...counts].map(([n, c]) => `${c} × ${n}`).join(', ') || 'none';
  console.log(`${input} -> ${output}: ${to} numbering; relaxed instructions ${summary}; ${simd} SIMD instructions in ${functions} functions decoded`);
  writeFileSync(output, bytes);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`wasm_relaxed_opcodes: ${e.message}`);
    process.exit(1);
  }
}
