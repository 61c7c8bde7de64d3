#!/usr/bin/env python3
"""Writes the small seed inputs of tests/fuzz/corpus/<target>/ (each a few KB at most).

Derived from ../shared (BERTOLOGY_SHARED) where that helps: the tiny models' config.json files,
shrunken versions of the shared tokenizers, a cut-down spiece.model. Run from anywhere:
    python3 tests/fuzz/make_seeds.py
The outputs are committed; re-running rewrites them deterministically.
"""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("BERTOLOGY_SHARED") or ("/work/shared" if os.path.isdir("/work/shared") else
                                                os.path.join(ROOT, "..", "..", "..", "shared"))
CORPUS = os.path.join(ROOT, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert len(data) <= 8192, (target, name, len(data))
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------- safetensors
def micro_tensors():
    e, l = "bert.embeddings.", "bert.encoder.layer.0."
    t = [(e + "word_embeddings.weight", [16, 4]), (e + "position_embeddings.weight", [8, 4]),
         (e + "token_type_embeddings.weight", [2, 4]), (e + "LayerNorm.weight", [4]), (e + "LayerNorm.bias", [4])]
    for q in ("query", "key", "value"):
        t += [(l + "attention.self." + q + ".weight", [4, 4]), (l + "attention.self." + q + ".bias", [4])]
    t += [(l + "attention.output.dense.weight", [4, 4]), (l + "attention.output.dense.bias", [4]),
          (l + "attention.output.LayerNorm.weight", [4]), (l + "attention.output.LayerNorm.bias", [4]),
          (l + "intermediate.dense.weight", [8, 4]), (l + "intermediate.dense.bias", [8]),
          (l + "output.dense.weight", [4, 8]), (l + "output.dense.bias", [4]),
          (l + "output.LayerNorm.weight", [4]), (l + "output.LayerNorm.bias", [4]),
          ("bert.pooler.dense.weight", [4, 4]), ("bert.pooler.dense.bias", [4]),
          ("classifier.weight", [2, 4]), ("classifier.bias", [2])]
    return t


def safetensors(tensors, dtype="F32", metadata=True):
    size = {"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I8": 1, "U8": 1, "BOOL": 1, "I16": 2}[dtype]
    header = {"__metadata__": {"format": "pt"}} if metadata else {}
    data = b""
    seed = 12345
    for name, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        begin = len(data)
        for _ in range(n):
            seed = (seed * 1103515245 + 12345) & 0xffffffff
            v = (((seed >> 16) % 2001) - 1000) / 2500.0
            if "LayerNorm.weight" in name:
                v = 1.0 + v / 4
            if dtype == "F32":
                data += struct.pack("<f", v)
            elif dtype == "F64":
                data += struct.pack("<d", v)
            elif dtype == "F16":
                data += struct.pack("<e", v)
            elif dtype == "BF16":
                data += struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:]
            else:
                data += bytes([seed & 0xff]) * size
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [begin, len(data)]}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def q8_safetensors(tensors):
    """The micro model as `bertology convert --dtype q8` lays it out: encoder linears and word embeddings as
    I8 beside `<name>_scale` F32 [rows] (docs/checkpoint-format.md); the rest F32."""
    int8 = ("word_embeddings.weight", "query.weight", "key.weight", "value.weight", "attention.output.dense.weight",
            "intermediate.dense.weight", "output.dense.weight")
    header = {"__metadata__": {"format": "pt", "bertology.dtype": "q8"}}
    data = b""
    seed = 777
    for name, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        quantized = name.endswith(int8) and "LayerNorm" not in name
        entries = [(name, "I8" if quantized else "F32", shape, n)]
        if quantized:
            entries.append((name + "_scale", "F32", [shape[0]], shape[0]))
        for ename, dtype, eshape, count in entries:
            begin = len(data)
            for _ in range(count):
                seed = (seed * 1103515245 + 12345) & 0xffffffff
                if dtype == "I8":
                    data += struct.pack("<b", ((seed >> 16) % 255) - 127)
                elif ename.endswith("_scale"):
                    data += struct.pack("<f", ((seed >> 16) % 1000 + 1) / 100000.0)
                else:
                    data += struct.pack("<f", (((seed >> 16) % 2001) - 1000) / 2500.0 + (1.0 if "LayerNorm.weight" in ename else 0.0))
            header[ename] = {"dtype": dtype, "shape": eshape, "data_offsets": [begin, len(data)]}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + data


def seeds_safetensors():
    t = micro_tensors()
    write("safetensors", "micro_bert_q8.seed", q8_safetensors(t))
    write("safetensors", "micro_bert_f32.seed", safetensors(t))
    write("safetensors", "micro_bert_f16.seed", safetensors(t, "F16"))
    write("safetensors", "micro_bert_bf16.seed", safetensors(t, "BF16", metadata=False))
    write("safetensors", "mixed_dtypes.seed",
          safetensors([("a", [2, 3])], "F64")[:0] + safetensors([("x", [3]), ("y", [0, 5]), ("z", [])], "F64"))
    write("safetensors", "int_tensors.seed", safetensors([("ids", [4]), ("flag", [2, 2])], "I64"))
    write("safetensors", "empty_header.seed", struct.pack("<Q", 2) + b"{}")
    write("safetensors", "f16_subnormals.seed",
          struct.pack("<Q", 56) + b'{"h":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}' +
          struct.pack("<4H", 0x0001, 0x03ff, 0x7c00, 0xfe00))


def seeds_index():
    t = micro_tensors()
    split = len(t) - 4
    wm = {name: "model-00001-of-00002.safetensors" for name, _ in t[:split]}
    wm.update({name: "model-00002-of-00002.safetensors" for name, _ in t[split:]})
    write("safetensors_index", "two_shards.json", json.dumps({"metadata": {"total_size": 1348}, "weight_map": wm}, indent=1))
    write("safetensors_index", "one_shard.json", json.dumps({"weight_map": {"a": "model-00001-of-00002.safetensors"}}))
    write("safetensors_index", "missing_shard.json", json.dumps({"weight_map": {"a": "model-00003-of-00003.safetensors"}}))


# ---------------------------------------------------------------------------------------- config
MICRO_CONFIG = {"model_type": "bert", "architectures": ["BertForSequenceClassification"], "vocab_size": 16,
                "hidden_size": 4, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 8,
                "max_position_embeddings": 8, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
                "pad_token_id": 0, "id2label": {"0": "NEG", "1": "POS"}}


def seeds_config():
    write("config", "micro_bert.json", json.dumps(MICRO_CONFIG, indent=1))
    tiny = os.path.join(SHARED, "models", "tiny")
    if os.path.isdir(tiny):
        for d in sorted(os.listdir(tiny)):
            if d in ("tiny-bert-bert-sequenceclassification", "tiny-roberta-roberta-maskedlm",
                     "tiny-distilbert-distilbert-questionanswering", "tiny-albert-albert-maskedlm"):
                with open(os.path.join(tiny, d, "config.json"), "rb") as f:
                    write("config", d + ".json", f.read())
    write("config", "load_options.json", '{"dtype": "q8"}')
    write("config", "tokenizer_config.json", '{"model_max_length": 512, "do_lower_case": true}')
    write("config", "tokenizer_config_sentinel.json", '{"model_max_length": 1000000000000000019884624838656}')


# ------------------------------------------------------------------------------------- tokenizers
def shrink_vocab(vocab, keep):
    items = sorted(vocab.items(), key=lambda kv: kv[1])
    out = {}
    for tok, _ in items:
        if tok in keep or len(out) < 120:
            out[tok] = len(out)
    return out


def seeds_tokenizer_json():
    tok_dir = os.path.join(SHARED, "tokenizers")
    # WordPiece: bert-base-uncased's pipeline over a small vocabulary.
    path = os.path.join(tok_dir, "bert-base-uncased", "tokenizer.json")
    if os.path.exists(path):
        j = json.load(open(path, encoding="utf-8"))
        keep = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "##s", "hello", "world", "##ing", ",", "."}
        vocab = shrink_vocab(j["model"]["vocab"], keep)
        j["model"]["vocab"] = vocab
        j["added_tokens"] = [dict(a, id=vocab[a["content"]]) for a in j["added_tokens"] if a["content"] in vocab]
        j["post_processor"]["sep"][1] = vocab["[SEP]"]
        j["post_processor"]["cls"][1] = vocab["[CLS]"]
        write("tokenizer_json", "wordpiece_bert.json", dumps(j))
        # The same in transformers 5.x's TemplateProcessing form, with truncation and padding.
        j["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [vocab["[CLS]"]], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [vocab["[SEP]"]], "tokens": ["[SEP]"]}}}
        j["truncation"] = {"max_length": 16, "strategy": "LongestFirst", "stride": 0}
        j["padding"] = {"pad_id": 0, "pad_token": "[PAD]"}
        j["normalizer"] = {"type": "Sequence", "normalizers": [
            {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
             "lowercase": False}, {"type": "Lowercase"}, {"type": "StripAccents"}]}
        j["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
                                                                    {"type": "BertPreTokenizer"}]}
        write("tokenizer_json", "wordpiece_template.json", dumps(j))
    # Byte-level BPE: roberta-bpe's pipeline over its first merges.
    path = os.path.join(tok_dir, "roberta-bpe", "tokenizer.json")
    if os.path.exists(path):
        j = json.load(open(path, encoding="utf-8"))
        merges = j["model"]["merges"][:40]
        need = set()
        for m in merges:
            a, b = m if isinstance(m, list) else m.split(" ")
            need |= {a, b, a + b}
        base = {t: i for t, i in j["model"]["vocab"].items() if i < 80}
        vocab = {}
        for t in sorted(set(base) | need, key=lambda t: j["model"]["vocab"][t]):
            vocab[t] = len(vocab)
        j["model"]["vocab"] = vocab
        j["model"]["merges"] = merges
        j["added_tokens"] = [dict(a, id=vocab[a["content"]]) for a in j["added_tokens"] if a["content"] in vocab]
        j["post_processor"]["sep"][1] = vocab.get("</s>", 2)
        j["post_processor"]["cls"][1] = vocab.get("<s>", 0)
        write("tokenizer_json", "bpe_roberta.json", dumps(j))
        # vocab.json + "\n\xff\n" + merges.txt for the bpe_files target.
        merges_txt = "#version: 0.2\n" + "\n".join(m if isinstance(m, str) else " ".join(m) for m in merges) + "\n"
        write("bpe_files", "roberta_small.txt", dumps(vocab).encode() + b"\n\xff\n" + merges_txt.encode())
    write("bpe_files", "minimal.txt", b'{"<s>":0,"</s>":1,"a":2,"b":3,"ab":4}\n\xff\na b\n')
    # Unigram with Metaspace and the ALBERT normalizers.
    write("tokenizer_json", "unigram_metaspace.json", dumps({
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Replace", "pattern": {"String": "``"}, "content": "\""}, {"type": "Lowercase"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"},
        "added_tokens": [{"id": 8, "content": "[CLS]", "special": True}, {"id": 9, "content": "[SEP]", "special": True},
                         {"id": 10, "content": "[MASK]", "special": True, "lstrip": True, "single_word": False}],
        "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 9], "cls": ["[CLS]", 8]},
        "model": {"type": "Unigram", "unk_id": 0, "vocab": [
            ["<unk>", 0], ["\u2581", -2], ["\u2581hello", -1], ["\u2581wor", -3], ["ld", -3], ["\u2581world", -7],
            ["\"", -2], ["\u2581\"", -2], ["[CLS]", 0], ["[SEP]", 0], ["[MASK]", 0]]}}))
    write("tokenizer_json", "plain_bpe_sequence_decoder.json", dumps({
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "decoder": {"type": "Sequence", "decoders": [{"type": "WordPiece", "prefix": "##", "cleanup": True},
                                                     {"type": "Metaspace", "replacement": "_"}]},
        "post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel", "trim_offsets": True},
                                                             {"type": "RobertaProcessing", "sep": ["</s>", 2],
                                                              "cls": ["<s>", 1]}]},
        "model": {"type": "BPE", "unk_token": "<unk>", "fuse_unk": True, "ignore_merges": False,
                  "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5},
                  "merges": ["a b"]}}))
    # The encoder families' components (tests/fixtures/tokenizers: the same, at full size).
    write("tokenizer_json", "components_split_regex.json", dumps({
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Strip", "strip_left": True,
                                                                                "strip_right": False}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"},
             "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [5], "tokens": ["[CLS]"]}}},
        "decoder": {"type": "ByteLevel"},
        "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4, "[CLS]": 5},
                  "merges": ["a b", "\u0120 ab"]}}))
    write("tokenizer_json", "components_splitters.json", dumps({
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKD"}, {"type": "StripAccents"},
                                                           {"type": "Prepend", "prepend": "_"},
                                                           {"type": "Replace", "pattern": {"Regex": "\\b"}, "content": "|"}]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Digits", "individual_digits": True}, {"type": "Punctuation", "behavior": "Contiguous"},
            {"type": "UnicodeScripts"}, {"type": "Whitespace"},
            {"type": "Split", "pattern": {"String": "a"}, "behavior": "MergedWithNext", "invert": True}]},
        "decoder": {"type": "Sequence", "decoders": [{"type": "Strip", "content": "_", "start": 1, "stop": 0},
                                                      {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"<unk>": 0, "a": 1, "ab": 2, "<0x41>": 3}}}))
    write("tokenizer_json", "components_xlnet.json", dumps({
        "normalizer": {"type": "Sequence", "normalizers": [{"type": "Replace", "pattern": {"String": "''"}, "content": "\""},
                                                           {"type": "NFKC"}, {"type": "Lowercase"}]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True},
        "padding": {"direction": "Left", "pad_id": 0, "pad_type_id": 3, "pad_token": "<unk>"},
        "added_tokens": [{"id": 3, "content": "<cls>", "special": True}, {"id": 4, "content": "<sep>", "special": True}],
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                                      {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
                           "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<sep>", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "<sep>", "type_id": 1}},
                                    {"SpecialToken": {"id": "<cls>", "type_id": 2}}],
                           "special_tokens": {"<sep>": {"id": "<sep>", "ids": [4], "tokens": ["<sep>"]},
                                              "<cls>": {"id": "<cls>", "ids": [3], "tokens": ["<cls>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"},
        "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": True, "vocab": [
            ["<unk>", 0], ["\u2581", -2], ["\u2581hello", -1], ["<cls>", 0], ["<sep>", 0], ["<0x41>", -9], ["a", -4]]}}))
    write("tokenizer_json", "precompiled_normalizer.json", dumps({
        "normalizer": {"type": "Precompiled", "precompiled_charsmap": ""},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}}))


# -------------------------------------------------------------------------------- sentencepiece
def varint(v):
    out = b""
    while True:
        b = v & 0x7f
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def read_varint(buf, at):
    v, shift = 0, 0
    while True:
        b = buf[at]
        at += 1
        v |= (b & 0x7f) << shift
        shift += 7
        if b < 0x80:
            return v, at


def fields(buf):
    at = 0
    while at < len(buf):
        key, at = read_varint(buf, at)
        num, wt = key >> 3, key & 7
        start = at
        if wt == 0:
            _, at = read_varint(buf, at)
        elif wt == 1:
            at += 8
        elif wt == 5:
            at += 4
        elif wt == 2:
            n, at = read_varint(buf, at)
            at += n
        yield num, wt, buf[start:at], key


def field_bytes(num, wt, payload):
    return varint((num << 3) | wt) + payload


def piece(text, score, ptype=1):
    body = field_bytes(1, 2, varint(len(text.encode())) + text.encode()) + field_bytes(2, 5, struct.pack("<f", score))
    if ptype != 1:
        body += field_bytes(3, 0, varint(ptype))
    return field_bytes(1, 2, varint(len(body)) + body)


def seeds_sentencepiece():
    path = os.path.join(SHARED, "tokenizers", "albert-unigram", "spiece.model")
    if os.path.exists(path):
        buf = open(path, "rb").read()
        out, pieces = b"", 0
        for num, wt, raw, key in fields(buf):
            if num == 1:
                pieces += 1
                if pieces > 150:
                    continue
                out += varint(key) + raw
            elif num == 3:
                # normalizer_spec without its (large) precompiled charsmap
                n, at = read_varint(raw, 0)
                body = b"".join(varint(k) + r for f, w, r, k in fields(raw[at:at + n]) if f != 2)
                out += varint(key) + varint(len(body)) + body
            elif num == 2:
                out += varint(key) + raw
        write("sentencepiece_model", "albert_150_pieces.model", out)
    spec = field_bytes(3, 0, varint(1)) + field_bytes(40, 0, varint(0)) + field_bytes(43, 0, varint(2**64 - 1))
    norm = field_bytes(3, 0, varint(1)) + field_bytes(4, 0, varint(1)) + field_bytes(5, 0, varint(1))
    model = (piece("<unk>", 0, 2) + piece("[CLS]", 0, 4) + piece("[SEP]", 0, 4) + piece("\u2581", -1) +
             piece("\u2581a", -2) + piece("b", -3) + piece("ab", -4) + piece("<0x41>", 0, 6) +
             field_bytes(2, 2, varint(len(spec)) + spec) + field_bytes(3, 2, varint(len(norm)) + norm))
    write("sentencepiece_model", "handmade.model", model)


# ------------------------------------------------------------------------------------------ encode
def encode_input(flags, max_length, stride, variant, text):
    return bytes([flags, max_length, stride, variant]) + (text.encode("utf-8") if isinstance(text, str) else text)


TEXTS = [
    "Hello, world! The cat sat on the mat.",
    "  Ünïcödé   àccents — ﬁne “quotes” 你好世界 日本語 한국어 \u00e9\u0301 emoji 😀👍🏽 ",
    "[CLS] [MASK] <s> </s> <mask> [SEP] <extra>",
    "don't STOP believing!!! 123,456.78 $$$ https://x.y/z?q=1 a\tb\nc\r\n",
    "\u2581\u2581hello \u2581world ``quoted'' ab aaa bc",
    "\x00\x01\x7f\u200b\ufeff\u00ad control chars",
]


def seeds_encode():
    for target in ("encode_wordpiece", "encode_bpe", "encode_unigram"):
        for variant in range(4):
            for i, text in enumerate(TEXTS):
                flags = [0, 16, 2 | 16, 32, 64, 1 | 128][i]
                second = TEXTS[(i + 1) % len(TEXTS)]
                body = text if not flags & 48 else text + "\xff" + second
                data = encode_input(flags, 12 if flags & 2 else 24, 4, variant,
                                    body.encode("utf-8").replace("\xff".encode("utf-8"), b"\xff"))
                write(target, "v%d_t%d" % (variant, i), data)
        write(target, "invalid_utf8", encode_input(0, 0, 0, 0, b"ab\xc3(\xe2\x82cd\xf0\x9f\x98"))
        write(target, "long_word", encode_input(0, 0, 0, 1, "x" * 300 + " " + "ab" * 200))


# -------------------------------------------------------------------------------------------- forward
def seeds_forward():
    for model in range(9):
        for flags in (0, 3, 4 | 8, 16, 64):
            data = bytes([model, flags, 1, 5])  # batch 2, seq 6
            for t in range(12):
                data += struct.pack("<H", (t * 37 + model) % 1000) + bytes([(t % 5 != 4) | ((t >= 7) << 1)])
            write("forward", "m%d_f%d" % (model, flags), data)
    write("forward", "raw_sizes", bytes([0, 32]) + struct.pack("<ii", 2, 3) + b"\x05\x00\x01" * 6)
    write("forward", "raw_sizes_huge_limits", bytes([1, 32 | 2]) + struct.pack("<ii", 1 << 20, 1 << 20) + b"\x05\x00\x01" * 2)
    write("forward", "all_masked", bytes([0, 0, 0, 3]) + b"\x05\x00\x00" * 4)


def write_dicts():
    d = os.path.join(ROOT, "dicts")
    os.makedirs(d, exist_ok=True)

    def words(name, items):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write("# libFuzzer dictionary (written by tests/fuzz/make_seeds.py)\n")
            for item in items:
                f.write('"' + "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else
                                      "".join("\\x%02x" % b for b in c.encode("utf-8")) for c in item) + '"\n')

    json_syntax = ["{", "}", "[", "]", ":", ",", "\"", "null", "true", "false", "0", "-1", "1e308", "-0.0",
                   "4294967296", "18446744073709551615", "9223372036854775808", "-9223372036854775809", "1.5",
                   "\\u0000", "\\ud800", "\"\":"]
    words("safetensors.dict", json_syntax + [
        "\"__metadata__\"", "\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"F64\"",
        "\"I64\"", "\"I32\"", "\"I16\"", "\"I8\"", "\"U8\"", "\"BOOL\"", "\"weight_map\"", "\"metadata\"",
        "\"total_size\"", "\"model-00001-of-00002.safetensors\"", "\"model-00002-of-00002.safetensors\"",
        "\"bert.embeddings.word_embeddings.weight\"", "\"classifier.weight\"", "\"bert.pooler.dense.weight\"",
        "\x00\x00\x00\x00\x00\x00\x00\x00", "\xff\xff\xff\xff\xff\xff\xff\xff"])
    words("config.dict", json_syntax + ["\"" + k + "\"" for k in [
        "model_type", "bert", "distilbert", "roberta", "albert", "architectures", "BertForSequenceClassification",
        "BertForMaskedLM", "BertForQuestionAnswering", "BertForTokenClassification", "BertModel", "ForPreTraining",
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
        "max_position_embeddings", "type_vocab_size", "pad_token_id", "hidden_act", "gelu", "gelu_new", "relu",
        "tanh", "gelu_pytorch_tanh", "layer_norm_eps", "position_embedding_type", "absolute", "relative_key",
        "embedding_size", "num_hidden_groups", "inner_group_num", "dim", "n_layers", "n_heads", "hidden_dim",
        "activation", "id2label", "label2id", "problem_type", "regression", "multi_label_classification",
        "dtype", "q8", "fp32", "int8", "model_max_length", "do_lower_case"]])
    words("tokenizer_json.dict", json_syntax + ["\"" + k + "\"" for k in [
        "version", "truncation", "padding", "added_tokens", "id", "content", "single_word", "lstrip", "rstrip",
        "normalized", "special", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model", "type",
        "BertNormalizer", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase", "Lowercase",
        "StripAccents", "Replace", "pattern", "String", "Regex", "Precompiled", "precompiled_charsmap", "Sequence",
        "normalizers", "pretokenizers", "processors", "decoders", "BertPreTokenizer", "WhitespaceSplit",
        "ByteLevel", "add_prefix_space", "trim_offsets", "use_regex", "Metaspace", "replacement", "prepend_scheme",
        "always", "never", "first", "split", "BertProcessing", "RobertaProcessing", "TemplateProcessing", "single",
        "pair", "special_tokens", "SpecialToken", "type_id", "ids", "tokens", "sep", "cls", "A", "B", "WordPiece",
        "prefix", "cleanup", "##", "BPE", "Unigram", "unk_token", "unk_id", "continuing_subword_prefix",
        "max_input_chars_per_word", "vocab", "merges", "fuse_unk", "byte_fallback", "ignore_merges",
        "end_of_word_suffix", "dropout", "max_length", "pad_id", "strategy", "stride", "[UNK]", "[CLS]", "[SEP]",
        "[PAD]", "[MASK]", "<s>", "</s>", "<unk>", "<pad>", "<mask>", "\u2581", "\u0120", " {2,}",
        "NFC", "NFD", "NFKC", "NFKD", "Strip", "strip_left", "strip_right", "Prepend", "prepend", "Nmt", "Split",
        "behavior", "invert", "Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous",
        "Punctuation", "Whitespace", "Digits", "individual_digits", "UnicodeScripts", "CharDelimiterSplit",
        "delimiter", "WordLevel", "Fuse", "ByteFallback", "CTC", "BPEDecoder", "suffix", "pad_token",
        "word_delimiter_token", "start", "stop", "direction", "Left", "Right", "pad_type_id", "<cls>", "<sep>",
        "<0x41>", "\\p{L}", "\\p{N}", "\\s+(?!\\S)", "(?i:", "(?=", "(?<!", "{1,3}", "+?", "\\b", "[^",
        "\\w", "\\d", "x*"]] +
          ["#version: 0.2\n", "\n\xff\n"])
    words("sentencepiece.dict", ["\x0a", "\x12", "\x1a", "\x15", "\x18\x01", "\x18\x02", "\x18\x03", "\x18\x04",
                                 "\x18\x05", "\x18\x06", "\xc0\x02", "\xd8\x02", "\x98\x01", "\x18", "\x20", "\x28",
                                 "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", "\u2581", "<unk>", "[CLS]", "[SEP]",
                                 "<0x00>"])
    words("text.dict", ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "<s>", "</s>", "<mask>", "<unk>", "<extra>",
                        "\u2581", "\u0120", "##", "\u00e9", "e\u0301", "\u4e2d", "\ufb01", "\u0130", "\u1e9e", "\u00df",
                        "\ud55c", "\U0001f600", "\u200b", "\ufeff", "\u00ad", "\u0000", "\t", "\r\n", "  ", "``",
                        "'s", "n't", "hello", "world", "the", "cat", "ab", "aaa", "\xff"])


if __name__ == "__main__":
    seeds_safetensors()
    seeds_index()
    seeds_config()
    seeds_tokenizer_json()
    seeds_sentencepiece()
    seeds_encode()
    seeds_forward()
    write_dicts()
    total = 0
    for dp, _, fs in os.walk(CORPUS):
        for f in fs:
            total += os.path.getsize(os.path.join(dp, f))
    print("seeds written to", CORPUS, "total", total, "bytes", file=sys.stderr)
