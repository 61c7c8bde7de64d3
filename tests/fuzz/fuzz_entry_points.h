// The bodies of the libFuzzer targets (tests/fuzz/fuzz_*.cc), shared with the regression
// test (tests/native/test_fuzz_regressions.cc) so that every input in tests/fuzz/regressions/
// is replayed through exactly the same code in the normal native build.
//
// Every entry point takes arbitrary bytes and must return without crashing, leaking or hitting
// undefined behaviour: errors from the engine are expected and ignored, only the process dying
// (ASan/UBSan report, abort from nlohmann under JSON_NOEXCEPTION, stack overflow, OOM) is a bug.
// A few engine invariants are checked too (a successful Encode gives parallel arrays of equal
// length, Forward gives outputs of the advertised shape); a broken invariant calls FuzzFail(),
// which aborts so libFuzzer records the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace bt::fuzz {

using EntryPoint = int (*)(const uint8_t* data, size_t size);

struct FuzzTarget {
  const char* name;  // fuzz_<name>.cc, tests/fuzz/corpus/<name>, tests/fuzz/regressions/<name>
  EntryPoint entry;
};

// safetensors: the raw bytes of a .safetensors file. Header parse, decode of every tensor, then
// (for a header that parses) Model::Load with a fixed micro BERT config and a short Forward.
int FuzzSafetensors(const uint8_t* data, size_t size);
// model.safetensors.index.json text; the shards it may name are a micro BERT split in two.
int FuzzSafetensorsIndex(const uint8_t* data, size_t size);
// config.json text: ParseModelConfig, ParseLoadOptions, then Model::Load against micro weights.
int FuzzConfig(const uint8_t* data, size_t size);
// tokenizer.json text: Tokenizer::FromJson, then encode/decode a few fixed texts.
int FuzzTokenizerJson(const uint8_t* data, size_t size);
// A SentencePiece .model (protobuf) file: Tokenizer::FromSentencePiece, then encode/decode.
int FuzzSentencePieceModel(const uint8_t* data, size_t size);
// vocab.json + "\n\xff\n" + merges.txt: Tokenizer::FromBpeFiles, then encode/decode.
int FuzzBpeFiles(const uint8_t* data, size_t size);
// Encode/EncodePair/EncodeWindows/Decode of arbitrary bytes with fixed tokenizers of one family.
// Input: [flags][max_length][stride][variant] text ("\xff" separates the pair's two texts).
int FuzzEncodeWordPiece(const uint8_t* data, size_t size);
int FuzzEncodeBpe(const uint8_t* data, size_t size);
int FuzzEncodeUnigram(const uint8_t* data, size_t size);
// Model::Forward on arbitrary batch/seq/ids/mask/type ids for tiny models (BERT, RoBERTa,
// DistilBERT, ALBERT from $BERTOLOGY_SHARED/models/tiny, plus an in-memory micro BERT, fp32 and q8).
int FuzzForward(const uint8_t* data, size_t size);

const std::vector<FuzzTarget>& AllTargets();

// $BERTOLOGY_SHARED, else the native build's default, else ../shared, else /work/shared.
std::string SharedDir();

// Aborts with a message (an engine invariant was broken).
[[noreturn]] void FuzzFail(const std::string& what);

}  // namespace bt::fuzz
