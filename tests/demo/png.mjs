// Makes the committed screenshots small: decodes Chromium's 8-bit RGB(A) PNG, reduces it to a
// 256-colour palette (median cut over its exact colours; UI screenshots have few) and writes an
// indexed PNG at zlib level 9. Typically 3–4× smaller, visually the same.

import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** @param {Buffer} buf */
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** @param {Buffer} png @returns {{width: number, height: number, rgb: Uint8Array} | null} null: not 8-bit RGB(A) */
export function decodeRgb(png) {
  if (!png.subarray(0, 8).equals(SIGNATURE)) return null;
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, color, , , interlace] = data.subarray(8, 13);
      if (depth !== 8 || interlace !== 0 || (color !== 2 && color !== 6)) return null;
      channels = color === 2 ? 3 : 4;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const img = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? img[row + x - channels] : 0;
      const b = y > 0 ? img[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? img[row - stride + x - channels] : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      img[row + x] = (src[x] + pred) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) rgb[p * 3 + k] = img[p * channels + k];
  }
  return { width, height, rgb };
}

/**
 * Median cut over the distinct colours (weighted by pixel count).
 * @param {Map<number, number>} counts colour (0xRRGGBB) → pixels
 * @param {number} size
 */
function medianCut(counts, size) {
  const colors = [...counts.keys()];
  /** @type {number[][]} */
  let boxes = [colors];
  const ch = (/** @type {number} */ c, /** @type {number} */ k) => (c >> (16 - 8 * k)) & 0xff;
  while (boxes.length < size) {
    let best = -1;
    let bestRange = 0;
    let bestAxis = 0;
    boxes.forEach((box, i) => {
      if (box.length < 2) return;
      for (let k = 0; k < 3; k++) {
        let lo = 255;
        let hi = 0;
        for (const c of box) { const v = ch(c, k); if (v < lo) lo = v; if (v > hi) hi = v; }
        if (hi - lo > bestRange) { bestRange = hi - lo; best = i; bestAxis = k; }
      }
    });
    if (best < 0) break;
    const box = boxes[best].sort((a, b) => ch(a, bestAxis) - ch(b, bestAxis));
    const total = box.reduce((s, c) => s + /** @type {number} */ (counts.get(c)), 0);
    let acc = 0;
    let cut = 1;
    for (; cut < box.length - 1; cut++) {
      acc += /** @type {number} */ (counts.get(box[cut - 1]));
      if (acc >= total / 2) break;
    }
    boxes = [...boxes.slice(0, best), box.slice(0, cut), box.slice(cut), ...boxes.slice(best + 1)];
  }
  return boxes.map((box) => {
    const sum = [0, 0, 0];
    let n = 0;
    for (const c of box) {
      const w = /** @type {number} */ (counts.get(c));
      for (let k = 0; k < 3; k++) sum[k] += ch(c, k) * w;
      n += w;
    }
    return sum.map((s) => Math.round(s / n));
  });
}

/** @param {Buffer} png @returns {Buffer} the palette version (or `png` itself if it cannot be read) */
export function quantizePng(png) {
  const img = decodeRgb(png);
  if (!img) return png;
  const { width, height, rgb } = img;
  const counts = new Map();
  for (let p = 0; p < width * height; p++) {
    const c = (rgb[p * 3] << 16) | (rgb[p * 3 + 1] << 8) | rgb[p * 3 + 2];
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const palette = counts.size <= 256 ? [...counts.keys()].map((c) => [(c >> 16) & 255, (c >> 8) & 255, c & 255]) : medianCut(counts, 256);
  const index = new Map();
  for (const c of counts.keys()) {
    const r = (c >> 16) & 255;
    const g = (c >> 8) & 255;
    const b = c & 255;
    let best = 0;
    let bestD = Infinity;
    palette.forEach(([pr, pg, pb], i) => {
      const d = 2 * (r - pr) ** 2 + 4 * (g - pg) ** 2 + 3 * (b - pb) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    });
    index.set(c, best);
  }
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      raw[y * (width + 1) + 1 + x] = index.get((rgb[p * 3] << 16) | (rgb[p * 3 + 1] << 8) | rgb[p * 3 + 2]);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 3, 0, 0, 0], 8);
  const out = Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('PLTE', Buffer.from(palette.flat())),
    chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
  return out.length < png.length ? out : png;
}
