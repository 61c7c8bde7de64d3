// Embind surface of checkpoint conversion (src/models/convert.h): a Converter over a FileStore that
// JS filled with a checkpoint's files. JS asks for the plan (output config.json, header, tensor list)
// and then each tensor's stored bytes in file order, writing them wherever the output goes. The
// quantisation runs here, in the engine's own code. Failures come back as {error, code, details?}.
#include <emscripten/bind.h>

#include "io/file_store.h"
#include "js_file_store.h"
#include "js_values.h"
#include "models/convert.h"

namespace bt {

class JsConverter {
 public:
  JsConverter(JsFileStore& files, const std::string& options_json) {
    Result<ConvertOptions> options = ParseConvertOptions(options_json);
    if (!options.ok()) {
      error_ = options.status().WithCode(StatusCode::kInvalidArgument);  // the caller's options
      return;
    }
    Result<std::unique_ptr<CheckpointConverter>> converter = CheckpointConverter::Open(files.store(), options.value());
    if (converter.ok()) {
      converter_ = std::move(converter).value();
    } else {
      error_ = converter.status();
    }
  }
  // null when the converter opened, else the error object (see ErrorObject).
  val error() const { return error_.ok() ? val::null() : ErrorObject(error_); }

  // {config_json, header_bytes, file_bytes, tensors: [{name, dtype, shape, bytes}], report}
  val plan() const {
    if (!converter_) return ErrorObject(error_);
    val out = val::object();
    out.set("config_json", converter_->config_json());
    out.set("header_bytes", static_cast<double>(converter_->header().size()));
    out.set("file_bytes", static_cast<double>(converter_->file_bytes()));
    val tensors = val::array();
    for (const CheckpointConverter::Output& o : converter_->outputs()) {
      val t = val::object();
      t.set("name", o.entry.name);
      t.set("dtype", std::string(DTypeName(o.entry.dtype)));
      t.set("shape", ShapeToJs(o.entry.shape));
      t.set("bytes", static_cast<double>(o.bytes));
      tensors.call<void>("push", t);
    }
    out.set("tensors", tensors);
    out.set("report", converter_->report_json());
    return out;
  }

  // The output file up to its data, as a JS-owned Uint8Array.
  val header() const {
    if (!converter_) return ErrorObject(error_);
    const std::string& h = converter_->header();
    return val(emscripten::typed_memory_view(h.size(), reinterpret_cast<const uint8_t*>(h.data()))).call<val>("slice");
  }

  // Tensor i's stored bytes: a Uint8Array view into wasm memory, valid until the next call (copy or
  // write it out at once), or {error}.
  val tensor(int i) {
    if (!converter_) return ErrorObject(error_);
    if (i < 0 || static_cast<size_t>(i) >= converter_->outputs().size()) return ErrorObject(Status::InvalidArgument("convert: no tensor " + std::to_string(i)));
    const size_t bytes = static_cast<size_t>(converter_->outputs()[i].bytes);
    buffer_ = Bytes();  // the previous tensor's bytes first, so two large tensors are never held at once
    Result<Bytes> buffer = Bytes::Allocate(bytes);
    if (!buffer.ok()) return ErrorObject(buffer.status());
    buffer_ = std::move(buffer).value();
    Status status = converter_->TensorBytes(static_cast<size_t>(i), buffer_.data());
    if (!status.ok()) return ErrorObject(status);
    return val(emscripten::typed_memory_view(bytes, buffer_.data()));
  }

 private:
  std::unique_ptr<CheckpointConverter> converter_;
  Status error_;
  Bytes buffer_;
};

}  // namespace bt

EMSCRIPTEN_BINDINGS(bertology_convert) {
  using namespace emscripten;
  class_<bt::JsConverter>("Converter")
      .constructor<bt::JsFileStore&, std::string>()
      .function("error", &bt::JsConverter::error)
      .function("plan", &bt::JsConverter::plan)
      .function("header", &bt::JsConverter::header)
      .function("tensor", &bt::JsConverter::tensor);
}
