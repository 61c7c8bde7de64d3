#!/usr/bin/env python3
"""Self-written oracle for BERT's position_embedding_type relative_key / relative_key_query.

No checkpoint in ../shared uses these types, so this script builds two tiny random BERT models and
computes their outputs with a torch transcription of Hugging Face's BertSelfAttention math
(transformers 4.x, models/bert/modeling_bert.py: distance_embedding(i - j + max_position_embeddings - 1),
einsum "bhld,lrd->bhlr" with the queries (relative_key) and also "bhrd,lrd->bhlr" with the keys
(relative_key_query), then / sqrt(head_dim), additive (1 - mask) * finfo.min key mask, softmax) and
the rest of BertModel (embeddings word + type + position, post-norm layers with erf GELU, pooler,
the sequence / token classification heads). It is our own transcription, not HF's code: a check of
the engine against an independent implementation of the same formulas.

Writes build/fixtures/bert-relative/<name>/{config.json, model.safetensors, reference.safetensors}
(generated, not tracked: scripts/test.sh runs this before the tests that read them).
Usage: /usr/bin/python3 tools/bert_relative_oracle.py   (Debian python3-torch)
"""
import json
import math
import os
import struct

import torch

HIDDEN, HEADS, LAYERS, INTER, VOCAB, MAXPOS, TYPES = 32, 4, 2, 64, 100, 64, 2


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def layer_norm(x, w, b, eps=1e-12):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), w, b, eps)


def gelu(x):
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def build(kind, head, seed):
    g = torch.Generator().manual_seed(seed)
    P = {}

    def param(name, *shape, std=0.02, base=None):
        t = torch.randn(*shape, generator=g) * std if base is None else torch.full(shape, float(base))
        P[name] = t + torch.randn(*shape, generator=g) * 0.3  # HF init + N(0, 0.3) noise, as tiny-v2
        return P[name]

    d = HIDDEN // HEADS
    param("bert.embeddings.word_embeddings.weight", VOCAB, HIDDEN)
    param("bert.embeddings.position_embeddings.weight", MAXPOS, HIDDEN)
    param("bert.embeddings.token_type_embeddings.weight", TYPES, HIDDEN)
    param("bert.embeddings.LayerNorm.weight", HIDDEN, base=1.0)
    param("bert.embeddings.LayerNorm.bias", HIDDEN, base=0.0)
    for l in range(LAYERS):
        p = "bert.encoder.layer.%d." % l
        for n in ["query", "key", "value"]:
            param(p + "attention.self.%s.weight" % n, HIDDEN, HIDDEN)
            param(p + "attention.self.%s.bias" % n, HIDDEN, base=0.0)
        param(p + "attention.self.distance_embedding.weight", 2 * MAXPOS - 1, d)
        param(p + "attention.output.dense.weight", HIDDEN, HIDDEN)
        param(p + "attention.output.dense.bias", HIDDEN, base=0.0)
        param(p + "attention.output.LayerNorm.weight", HIDDEN, base=1.0)
        param(p + "attention.output.LayerNorm.bias", HIDDEN, base=0.0)
        param(p + "intermediate.dense.weight", INTER, HIDDEN)
        param(p + "intermediate.dense.bias", INTER, base=0.0)
        param(p + "output.dense.weight", HIDDEN, INTER)
        param(p + "output.dense.bias", HIDDEN, base=0.0)
        param(p + "output.LayerNorm.weight", HIDDEN, base=1.0)
        param(p + "output.LayerNorm.bias", HIDDEN, base=0.0)
    labels = 3 if head == "seq" else 5
    if head == "seq":
        param("bert.pooler.dense.weight", HIDDEN, HIDDEN)
        param("bert.pooler.dense.bias", HIDDEN, base=0.0)
    param("classifier.weight", labels, HIDDEN)
    param("classifier.bias", labels, base=0.0)

    # Inputs: batch 3 x 12, row 1 token type 1 from position 6, rows 1/2 padded by 4/7 (mask only).
    B, T = 3, 12
    ids = torch.randint(5, VOCAB, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.int64)
    mask[1, 8:] = 0
    mask[2, 5:] = 0
    types = torch.zeros(B, T, dtype=torch.int64)
    types[1, 6:] = 1

    lin = lambda x, n: x @ P[n + ".weight"].t() + P[n + ".bias"]
    pos = torch.arange(T)
    x = P["bert.embeddings.word_embeddings.weight"][ids] + P["bert.embeddings.token_type_embeddings.weight"][types]
    x = x + P["bert.embeddings.position_embeddings.weight"][pos]
    x = layer_norm(x, P["bert.embeddings.LayerNorm.weight"], P["bert.embeddings.LayerNorm.bias"])
    hidden, attentions = [x], []
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for l in range(LAYERS):
        p = "bert.encoder.layer.%d." % l
        split = lambda t: t.view(B, T, HEADS, d).permute(0, 2, 1, 3)
        q = split(lin(x, p + "attention.self.query"))
        k = split(lin(x, p + "attention.self.key"))
        v = split(lin(x, p + "attention.self.value"))
        scores = torch.matmul(q, k.transpose(-1, -2))
        position_ids_l = torch.arange(T, dtype=torch.long).view(-1, 1)
        position_ids_r = torch.arange(T, dtype=torch.long).view(1, -1)
        distance = position_ids_l - position_ids_r
        positional_embedding = P[p + "attention.self.distance_embedding.weight"][distance + MAXPOS - 1]
        if kind == "relative_key":
            scores = scores + torch.einsum("bhld,lrd->bhlr", q, positional_embedding)
        else:
            scores = scores + torch.einsum("bhld,lrd->bhlr", q, positional_embedding) + torch.einsum(
                "bhrd,lrd->bhlr", k, positional_embedding)
        scores = scores / math.sqrt(d)
        scores = scores + ext
        probs = torch.softmax(scores, dim=-1)
        attentions.append(probs)
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(B, T, HIDDEN)
        a = layer_norm(lin(ctx, p + "attention.output.dense") + x, P[p + "attention.output.LayerNorm.weight"],
                       P[p + "attention.output.LayerNorm.bias"])
        f = lin(gelu(lin(a, p + "intermediate.dense")), p + "output.dense")
        x = layer_norm(f + a, P[p + "output.LayerNorm.weight"], P[p + "output.LayerNorm.bias"])
        hidden.append(x)
    if head == "seq":
        pooled = torch.tanh(lin(x[:, 0], "bert.pooler.dense"))
        logits = lin(pooled, "classifier")
        arch = "BertForSequenceClassification"
    else:
        logits = lin(x, "classifier")
        arch = "BertForTokenClassification"
    config = {"architectures": [arch], "model_type": "bert", "hidden_size": HIDDEN, "num_attention_heads": HEADS,
              "num_hidden_layers": LAYERS, "intermediate_size": INTER, "vocab_size": VOCAB,
              "max_position_embeddings": MAXPOS, "type_vocab_size": TYPES, "hidden_act": "gelu",
              "layer_norm_eps": 1e-12, "pad_token_id": 0, "position_embedding_type": kind,
              "id2label": {str(i): "LABEL_%d" % i for i in range(labels)}}
    ref = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "logits": logits,
           "hidden_states": torch.stack(hidden), "attentions": torch.stack(attentions)}
    return config, P, ref


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "fixtures", "bert-relative")
    torch.set_grad_enabled(False)
    for name, kind, head, seed in [("relative_key-seqcls", "relative_key", "seq", 1),
                                   ("relative_key_query-tokcls", "relative_key_query", "tok", 2)]:
        config, params, ref = build(kind, head, seed)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
        write_safetensors(os.path.join(d, "model.safetensors"), params)
        write_safetensors(os.path.join(d, "reference.safetensors"), ref)
        print(name, "max|hidden|", float(ref["hidden_states"].abs().max()))


if __name__ == "__main__":
    main()
