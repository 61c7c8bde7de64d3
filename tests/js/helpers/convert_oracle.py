#!/usr/bin/python3
"""Independent oracle for converted checkpoints (tests/js/convert.test.mjs), in numpy.

  convert_oracle.py q8   SOURCE_DIR CONVERTED_FILE   int8 tensors recomputed from the source's float32
                                                      values by the documented rules; every other tensor's
                                                      bytes equal to the source's
  convert_oracle.py fp16 SOURCE_DIR CONVERTED_FILE   every float tensor equal, byte for byte, to numpy's
                                                      astype(float16) of the source's float32 values

SOURCE_DIR holds model.safetensors or model.safetensors.index.json + shards. Prints one JSON line:
{"ok": bool, "checked": n, "int8": [names], "errors": [first few messages]}. float32 arithmetic
throughout (numpy keeps float32 for float32 operands), round-half-even (np.rint).
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {'F32': '<f4', 'F16': '<f2', 'BF16': '<u2', 'F64': '<f8', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2',
          'I8': 'i1', 'U8': 'u1', 'BOOL': 'u1'}


def read(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, t in header.items():
        if name == '__metadata__':
            continue
        begin, end = t['data_offsets']
        raw = data[base + begin:base + end]
        out[name] = (t['dtype'], np.frombuffer(raw, dtype=DTYPES[t['dtype']]).reshape(t['shape']), raw)
    return out


def read_dir(d):
    single = os.path.join(d, 'model.safetensors')
    if os.path.exists(single):
        return read(single)
    index = json.load(open(os.path.join(d, 'model.safetensors.index.json')))
    out = {}
    for shard in sorted(set(index['weight_map'].values())):
        out.update(read(os.path.join(d, shard)))
    return out


def as_f32(dtype, a):
    if dtype == 'BF16':
        return (a.astype(np.uint32) << 16).view(np.float32)
    return a.astype(np.float32)


def main():
    mode, src_dir, converted = sys.argv[1:4]
    src = read_dir(src_dir)
    out = read(converted)
    errors, int8, checked = [], [], 0
    for name, (dtype, a, raw) in sorted(out.items()):
        if name.endswith('_scale') and name[:-len('_scale')] in out and out[name[:-len('_scale')]][0] == 'I8':
            continue  # checked with its matrix
        if name not in src:
            errors.append(f'{name}: not in the source')
            continue
        sdtype, s, sraw = src[name]
        checked += 1
        if mode == 'q8' and dtype == 'I8':
            int8.append(name)
            w = as_f32(sdtype, s)
            m = np.max(np.abs(w), axis=1)
            if name.endswith('word_embeddings.weight'):  # EmbeddingTable::QuantizeRow
                scale = np.where(m > 0, m / np.float32(127), np.float32(1)).astype(np.float32)
                q = np.rint(w / scale[:, None])
            else:  # QuantizeWeightRowQ8: 7-bit, [-64, 64]
                scale = (m / np.float32(64)).astype(np.float32)
                inv = np.where(m > 0, np.float32(64) / np.where(m > 0, m, np.float32(1)), np.float32(0)).astype(np.float32)
                q = np.clip(np.rint(w * inv[:, None]), -64, 64)
            stored_scale = out[name + '_scale'][1]
            if out[name + '_scale'][0] != 'F32' or not np.array_equal(stored_scale.view(np.uint32), scale.view(np.uint32)):
                errors.append(f'{name}_scale: differs from numpy in {int(np.sum(stored_scale != scale))} rows')
            if not np.array_equal(a.astype(np.int32), q.astype(np.int32)):
                errors.append(f'{name}: differs from numpy in {int(np.sum(a != q))} values')
        elif mode == 'fp16' and sdtype in ('F32', 'F16', 'BF16', 'F64'):
            expected = as_f32(sdtype, s).astype(np.float16)
            if dtype != 'F16' or expected.tobytes() != raw:
                errors.append(f'{name}: not numpy astype(float16) of the source')
        elif dtype != sdtype or raw != sraw:
            errors.append(f'{name}: stored {dtype}, source {sdtype}; bytes differ: {raw != sraw}')
    missing = [n for n in src if n not in out]
    errors += [f'{n}: missing from the converted file' for n in missing]
    print(json.dumps({'ok': not errors, 'checked': checked, 'int8': int8, 'errors': errors[:10]}))


main()
