// Helpers shared by the tokenizer tests: loading tokenizers and reference JSON from ../shared.
#pragma once

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "test_support.h"
#include "tokenizers/tokenizer.h"

namespace bt::testing {

inline nlohmann::json LoadSharedJson(const std::string& relative) {
  nlohmann::json json = nlohmann::json::parse(ReadFileOrFail(SharedPath(relative)), nullptr, false);
  if (json.is_discarded()) ADD_FAILURE() << relative << " is not valid JSON";
  return json;
}

inline std::unique_ptr<Tokenizer> LoadTokenizerJson(const std::string& relative) {
  auto tokenizer = Tokenizer::FromJson(ReadFileOrFail(SharedPath(relative)));
  if (!tokenizer.ok()) {
    ADD_FAILURE() << relative << ": " << tokenizer.status().message();
    return nullptr;
  }
  return std::move(tokenizer).value();
}

template <class T>
std::vector<T> JsonVector(const nlohmann::json& array) {
  std::vector<T> out;
  for (const auto& v : array) out.push_back(v.get<T>());
  return out;
}

inline std::vector<std::pair<int32_t, int32_t>> JsonOffsets(const nlohmann::json& array) {
  std::vector<std::pair<int32_t, int32_t>> out;
  for (const auto& pair : array) out.emplace_back(pair[0].get<int32_t>(), pair[1].get<int32_t>());
  return out;
}

// Prints a short, readable form of a token list for failure messages.
inline std::string Join(const std::vector<std::string>& tokens) {
  std::string out;
  for (const auto& token : tokens) out += (out.empty() ? "" : " ") + token;
  return out;
}

}  // namespace bt::testing
