#!/usr/bin/env python3
"""Oracle for tests/native/test_train.cc: the loss and every parameter's gradient of a BERT or
DistilBERT *ForSequenceClassification / *ForTokenClassification, by torch autograd in float64 (Debian's
python3-torch). Written from the BERT paper / Hugging Face's modeling semantics, independently of the
engine: embeddings (word + type + position) -> LayerNorm -> post-norm layers -> pooler(tanh) ->
classifier (DistilBERT: no types; pre_classifier -> ReLU -> classifier); masked keys get the dtype's minimum added before the softmax; cross-entropy with
ignore_index -100, mean reduction.

usage: torch_train_oracle.py DIR   (DIR holds config.json, model.safetensors, batch.json; writes grads.json)
"""
import json
import math
import struct
import sys

import numpy as np
import torch


def load_safetensors(path):
    data = open(path, 'rb').read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32'
        start, end = info['data_offsets']
        array = np.frombuffer(data[base + start:base + end], dtype=np.float32).reshape(info['shape'])
        out[name] = torch.tensor(array.astype(np.float64), requires_grad=True)
    return out


def main(folder):
    cfg = json.load(open(f'{folder}/config.json'))
    job = json.load(open(f'{folder}/batch.json'))
    p = load_safetensors(f'{folder}/model.safetensors')
    batch, seq = job['batch'], job['seq']
    distil = cfg['model_type'] == 'distilbert'
    hidden = cfg['dim'] if distil else cfg['hidden_size']
    heads = cfg['n_heads'] if distil else cfg['num_attention_heads']
    layers = cfg['n_layers'] if distil else cfg['num_hidden_layers']
    head_dim = hidden // heads
    eps = 1e-12 if distil else cfg.get('layer_norm_eps', 1e-12)
    act_name = cfg.get('activation' if distil else 'hidden_act', 'gelu')
    if act_name == 'gelu':
        act = lambda x: torch.nn.functional.gelu(x)
    elif act_name in ('gelu_new', 'gelu_pytorch_tanh'):
        act = lambda x: torch.nn.functional.gelu(x, approximate='tanh')
    else:
        raise SystemExit(f'unsupported activation {act_name}')
    # Tensor names: BERT's, or DistilBERT's (same blocks, its own names; no token types; its head is
    # pre_classifier -> ReLU -> classifier).
    base = 'distilbert.' if distil else 'bert.'
    emb = base + 'embeddings.'
    layer_path = base + ('transformer.layer.' if distil else 'encoder.layer.')
    names = (dict(q='attention.q_lin', k='attention.k_lin', v='attention.v_lin', o='attention.out_lin',
                  ln1='sa_layer_norm', fin='ffn.lin1', fout='ffn.lin2', ln2='output_layer_norm') if distil else
             dict(q='attention.self.query', k='attention.self.key', v='attention.self.value',
                  o='attention.output.dense', ln1='attention.output.LayerNorm', fin='intermediate.dense',
                  fout='output.dense', ln2='output.LayerNorm'))
    ids = torch.tensor(job['ids']).view(batch, seq)
    mask = torch.tensor(job['mask']).view(batch, seq)
    types = torch.tensor(job['types']).view(batch, seq) if job['types'] else torch.zeros_like(ids)
    labels = torch.tensor(job['labels'])

    def ln(x, name):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), p[f'{name}.weight'], p[f'{name}.bias'], eps)

    def lin(x, name):
        return x @ p[f'{name}.weight'].T + p[f'{name}.bias']

    x = p[emb + 'word_embeddings.weight'][ids] + p[emb + 'position_embeddings.weight'][torch.arange(seq)]
    if not distil:
        x = x + p[emb + 'token_type_embeddings.weight'][types]
    x = ln(x, emb + 'LayerNorm')
    bias = (1.0 - mask[:, None, None, :].double()) * torch.finfo(torch.float64).min
    for layer in range(layers):
        pre = f'{layer_path}{layer}.'

        def split(t):
            return t.view(batch, seq, heads, head_dim).transpose(1, 2)

        q = split(lin(x, pre + names['q']))
        k = split(lin(x, pre + names['k']))
        v = split(lin(x, pre + names['v']))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head_dim) + bias, dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(batch, seq, hidden)
        a = ln(lin(context, pre + names['o']) + x, pre + names['ln1'])
        x = ln(lin(act(lin(a, pre + names['fin'])), pre + names['fout']) + a, pre + names['ln2'])
    if job['task'] == 'sequence' and distil:
        logits = lin(torch.relu(lin(x[:, 0], 'pre_classifier')), 'classifier')
    elif job['task'] == 'sequence':
        logits = lin(torch.tanh(lin(x[:, 0], 'bert.pooler.dense')), 'classifier')
    else:
        logits = lin(x, 'classifier').reshape(batch * seq, -1)
    loss = torch.nn.functional.cross_entropy(logits, labels, ignore_index=-100)
    loss.backward()
    grads = {name: t.grad.flatten().tolist() for name, t in p.items() if t.grad is not None}
    json.dump({'loss': loss.item(), 'grads': grads}, open(f'{folder}/grads.json', 'w'))


if __name__ == '__main__':
    main(sys.argv[1])
