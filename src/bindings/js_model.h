// JsModel: one loaded model as JS sees it (info, tokenize, forward, decode). Other binding files
// (e.g. explanations) reach the engine model through model().
#pragma once

#include <emscripten/val.h>

#include <memory>
#include <string>

#include "js_file_store.h"
#include "models/model.h"

namespace bt {

class JsModel {
 public:
  JsModel(JsFileStore& files, const std::string& options_json);
  // null when the model loaded, else the error object (see ErrorObject).
  val error() const { return error_.ok() ? val::null() : ErrorObject(error_); }
  std::string info() const;
  val tokenize(val text, val pair, const std::string& options_json) const;
  val tokenizeWindows(val question, val context, int max_length, int stride) const;
  // head_rows: null/undefined, or flat token indices for a per-token head (see ForwardRequest).
  val forward(val ids, val type_ids, val mask, int batch, int seq, int flags, val head_rows, val task_type_ids);
  std::string decode(val ids, bool skip_special) const;
  std::string idToToken(int id) const;
  int tokenToId(const std::string& token) const;
  // {"weights": bytes, "workspace": bytes} held by this model in wasm memory.
  std::string memoryUsage() const;
  // Progressive loading: fills the pending word-embedding rows of [first, first + count) (null, or the
  // error; those rows then stay pending) and how many rows are still pending.
  val fillWordEmbeddings(double first, double count);
  double pendingWordEmbeddings() const { return model_->pending_word_embeddings(); }

  Model& model() { return *model_; }

 private:
  std::unique_ptr<Model> model_;
  Status error_;
};

val EncodingToJs(const Encoding& encoding);

}  // namespace bt
