#!/usr/bin/python3
"""A question-answering ONNX model for the pipeline benchmark (bench/pipelines.mjs), on identical weights.

shared/onnx/ has no QA graph, so this takes the bert-mini-sst2 graph (the same BERT-mini encoder),
fills it with the weights of shared/models/bert-mini-squad (through shared/tools/materialize_onnx.py),
replaces the pooler + classifier head by BertForQuestionAnswering's qa_outputs (a token-wise linear
layer to 2 values, split into start_logits and end_logits [batch, seq]), and writes OUTDIR in
transformers.js's layout: onnx/model.onnx, onnx/model_quantized.onnx (materialize_onnx's
quantize_dynamic twin), config.json and the tokenizer files of bert-mini-squad. Our engine loads
shared/models/bert-mini-squad itself: the same float16-stored weights, read as float32 by both.

  /usr/bin/python3 bench/tools/make_qa_onnx.py SHARED_DIR OUTDIR
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    shared, outdir = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.join(shared, "tools"))
    import materialize_onnx as mo  # noqa: E402 (shared tool, imported as a module)

    squad_dir = os.path.join(shared, "models", "bert-mini-squad")
    with open(os.path.join(shared, "onnx", "manifest.json")) as f:
        entry = json.load(f)["bert-mini-sst2"]
    hf = mo.load_hf_weights(squad_dir)
    # The sst2 graph's pooler and classifier are removed below; give materialize() placeholders.
    for e in entry["initializers"]:
        m = entry["map"][e["name"]]
        if m["hf"] not in hf:
            if not (m["hf"].startswith("bert.pooler.") or m["hf"].startswith("classifier.")):
                sys.exit(f"{m['hf']} missing from {squad_dir}")
            shape = tuple(e["dims"][::-1] if m["transpose"] else e["dims"])
            hf[m["hf"]] = np.zeros(shape, np.float32)
    model, _ = mo.materialize("bert-mini-sst2", entry, hf, None)
    g = model.graph

    gather = next(n for n in g.node if n.op_type == "Gather" and n.output[0].endswith("/pooler/Gather_output_0"))
    hidden = gather.input[0]
    head_ops = {gather.output[0]}
    removed = []
    for n in g.node:  # the pooler and classifier: everything downstream of the pooler's Gather
        if n is gather or any(i in head_ops for i in n.input):
            removed.append(n)
            head_ops.update(n.output)
    for n in removed:
        g.node.remove(n)
    dead = {i for n in removed for i in n.input} - {i for n in g.node for i in n.input}
    for t in [t for t in g.initializer if t.name in dead]:
        g.initializer.remove(t)
    del g.output[:]

    w = hf["qa_outputs.weight"].astype(np.float32)  # [2, hidden]
    b = hf["qa_outputs.bias"].astype(np.float32)
    g.initializer.extend([
        numpy_helper.from_array(np.ascontiguousarray(w.T), "qa_outputs.weight_T"),
        numpy_helper.from_array(b, "qa_outputs.bias"),
        numpy_helper.from_array(np.array([1, 1], np.int64), "qa_split"),
        numpy_helper.from_array(np.array([-1], np.int64), "qa_axes"),
    ])
    g.node.extend([
        helper.make_node("MatMul", [hidden, "qa_outputs.weight_T"], ["qa_matmul"]),
        helper.make_node("Add", ["qa_matmul", "qa_outputs.bias"], ["qa_logits"]),
        helper.make_node("Split", ["qa_logits", "qa_split"], ["qa_start", "qa_end"], axis=-1),
        helper.make_node("Squeeze", ["qa_start", "qa_axes"], ["start_logits"]),
        helper.make_node("Squeeze", ["qa_end", "qa_axes"], ["end_logits"]),
    ])
    for name in ("start_logits", "end_logits"):
        g.output.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_size", "sequence_length"]))

    os.makedirs(os.path.join(outdir, "onnx"), exist_ok=True)
    mo.save(model, os.path.join(outdir, "onnx", "model.onnx"))
    mo.save(mo.quantize_dynamic_qint8(model), os.path.join(outdir, "onnx", "model_quantized.onnx"))
    for fn in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if os.path.exists(os.path.join(squad_dir, fn)):
            shutil.copyfile(os.path.join(squad_dir, fn), os.path.join(outdir, fn))


if __name__ == "__main__":
    main()
