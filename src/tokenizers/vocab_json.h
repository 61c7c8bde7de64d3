// tokenizer.json's model.vocab ({token: id}, 30k+ entries for BERT) read by a scanner of its own,
// without nlohmann's lexer, which was most of a BERT tokenizer's build time (its per-character
// input adapter and token buffer run ~700 KB through a pretty-printed file).
//
// Only the regular case is read here, and exactly as nlohmann reads it: whitespace, strings of
// well-formed UTF-8 with JSON's escapes, non-negative integer ids; anything else (a float, a
// negative or huge id, nested values, a control character, bad UTF-8, ...) is "irregular" and the
// caller takes the JSON library's path for the whole file — same tokenizer, same errors.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "tokenizers/model.h"
#include "tokenizers/tokenizer.h"

namespace bt::tokenizers {

// Offset of the '{' that opens the value of "vocab" inside the value of "model" in the root object,
// both keys written without escapes (the first "model" key, its first "vocab" key), or npos.
// A raw scan that skips over strings and nested values without validating them: the caller
// validates the rest of the file with the JSON library (json_util.h) and the object itself below.
size_t FindVocabObject(std::string_view json);

// Reads the object that opens at json[begin] ('{') entry by entry into `builder` (VocabBuilder::Add,
// in file order). Returns the offset just past its closing '}', or npos when the object is irregular
// (see above) or the builder refused an entry.
size_t ReadVocabObject(std::string_view json, size_t begin, VocabBuilder* builder);

// Tokenizer::FromJson without its shortcuts (this scanner, the SAX pass that skips the vocabulary's
// JSON tree): the whole file as one nlohmann tree. The reference FromJson must equal (tests, fuzzing).
Result<std::unique_ptr<Tokenizer>> FromJsonTree(std::string_view tokenizer_json);

}  // namespace bt::tokenizers
