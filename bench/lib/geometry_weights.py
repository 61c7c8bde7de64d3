#!/usr/bin/env python3
"""Random-weight checkpoints in the geometry of released models that have no ONNX twin in ../shared
(bench/run.mjs GEOMETRY_ONLY rows: ours only, GFLOP/s compared with the BERT-base row).

  /usr/bin/python3 bench/lib/geometry_weights.py <name> <out_dir>

Writes config.json (as Hugging Face's save_pretrained would, the fields the engine reads) and
model.safetensors (float32, Hugging Face tensor names, seeded N(0, 0.02) weights, LayerNorm 1/0).
Geometries:
  deberta-v3-base-geometry  microsoft/deberta-v3-base as an NLI classifier: 12 layers, hidden 768, 12 heads,
                            FFN 3072, vocab 128100, relative attention (c2p|p2c, position_buckets 256,
                            share_att_key, LayerNorm'd relative embeddings), no absolute positions,
                            ContextPooler + 3-way classifier.
"""
import json
import os
import struct
import sys

import numpy as np


def deberta_v3_base():
    h, layers, inter, vocab, buckets = 768, 12, 3072, 128100, 256
    shapes = {"deberta.embeddings.word_embeddings.weight": (vocab, h),
              "deberta.embeddings.LayerNorm.weight": (h,), "deberta.embeddings.LayerNorm.bias": (h,),
              "deberta.encoder.rel_embeddings.weight": (2 * buckets, h),
              "deberta.encoder.LayerNorm.weight": (h,), "deberta.encoder.LayerNorm.bias": (h,),
              "pooler.dense.weight": (h, h), "pooler.dense.bias": (h,),
              "classifier.weight": (3, h), "classifier.bias": (3,)}
    for l in range(layers):
        p = "deberta.encoder.layer.%d." % l
        for n in ("query_proj", "key_proj", "value_proj"):
            shapes[p + "attention.self.%s.weight" % n] = (h, h)
            shapes[p + "attention.self.%s.bias" % n] = (h,)
        shapes.update({p + "attention.output.dense.weight": (h, h), p + "attention.output.dense.bias": (h,),
                       p + "attention.output.LayerNorm.weight": (h,), p + "attention.output.LayerNorm.bias": (h,),
                       p + "intermediate.dense.weight": (inter, h), p + "intermediate.dense.bias": (inter,),
                       p + "output.dense.weight": (h, inter), p + "output.dense.bias": (h,),
                       p + "output.LayerNorm.weight": (h,), p + "output.LayerNorm.bias": (h,)})
    config = {"architectures": ["DebertaV2ForSequenceClassification"], "model_type": "deberta-v2",
              "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 12, "intermediate_size": inter,
              "vocab_size": vocab, "hidden_act": "gelu", "layer_norm_eps": 1e-7, "max_position_embeddings": 512,
              "max_relative_positions": -1, "norm_rel_ebd": "layer_norm", "pad_token_id": 0,
              "pooler_hidden_act": "gelu", "pooler_hidden_size": h, "pos_att_type": ["p2c", "c2p"],
              "position_biased_input": False, "position_buckets": buckets, "relative_attention": True,
              "share_att_key": True, "type_vocab_size": 0,
              "id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}
    return config, shapes


def modernbert_base():
    # answerdotai/ModernBERT-base as a classifier: 22 layers, hidden 768, 12 heads, GeGLU FFN 1152 (Wi 2304 wide),
    # global attention every 3rd layer (rotary theta 160000), sliding window 128 (theta 10000) elsewhere,
    # no biases, pre-norm + final norm, vocab 50368; head dense + norm + 2-way classifier (cls pooling).
    h, layers, inter, vocab = 768, 22, 1152, 50368
    shapes = {"model.embeddings.tok_embeddings.weight": (vocab, h), "model.embeddings.norm.weight": (h,),
              "model.final_norm.weight": (h,), "head.dense.weight": (h, h), "head.norm.weight": (h,),
              "classifier.weight": (2, h), "classifier.bias": (2,)}
    for l in range(layers):
        p = "model.layers.%d." % l
        if l > 0:
            shapes[p + "attn_norm.weight"] = (h,)
        shapes.update({p + "attn.Wqkv.weight": (3 * h, h), p + "attn.Wo.weight": (h, h), p + "mlp_norm.weight": (h,),
                       p + "mlp.Wi.weight": (2 * inter, h), p + "mlp.Wo.weight": (h, inter)})
    config = {"architectures": ["ModernBertForSequenceClassification"], "model_type": "modernbert",
              "hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": 12, "intermediate_size": inter,
              "vocab_size": vocab, "hidden_activation": "gelu", "norm_eps": 1e-5, "norm_bias": False,
              "attention_bias": False, "mlp_bias": False, "classifier_bias": False, "decoder_bias": True,
              "classifier_pooling": "cls", "classifier_activation": "gelu", "max_position_embeddings": 8192,
              "global_attn_every_n_layers": 3, "local_attention": 128, "global_rope_theta": 160000.0,
              "local_rope_theta": 10000.0, "pad_token_id": 50283, "cls_token_id": 50281, "sep_token_id": 50282,
              "id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}
    return config, shapes


GEOMETRIES = {"deberta-v3-base-geometry": deberta_v3_base, "modernbert-base-geometry": modernbert_base}


def main():
    name, out = sys.argv[1], sys.argv[2]
    config, shapes = GEOMETRIES[name]()
    rng = np.random.default_rng(0)
    os.makedirs(out, exist_ok=True)
    header, offset = {}, 0
    names = sorted(shapes)
    for n in names:
        size = 4 * int(np.prod(shapes[n]))
        header[n] = {"dtype": "F32", "shape": list(shapes[n]), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for n in names:
            shape = shapes[n]
            if n.endswith("LayerNorm.weight") or n.endswith("norm.weight"):
                t = np.ones(shape, np.float32)
            elif len(shape) == 1:
                t = np.zeros(shape, np.float32)
            else:
                t = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float32)
            f.write(t.tobytes())
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)


if __name__ == "__main__":
    main()
