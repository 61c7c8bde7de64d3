// The option JSON the JS layer passes (load, tokenize, explain): names outside the contract
// (contract.h, from engine_contract.json) are an INVALID_ARGUMENT, so a misspelt or unsupported
// option is never silently ignored.
#pragma once

#include <string>

#include "contract.h"
#include "core/status.h"
#include "io/json_util.h"

namespace bt {

// Fails on the first key of `object` that is not in `known` (nothing to check when it is not an object).
template <size_t N>
Status OnlyKnownOptions(const Json& object, const char* const (&known)[N], const std::string& where) {
  if (!object.is_object()) return Status::Ok();
  for (const auto& item : object.items()) {
    bool found = false;
    for (const char* name : known) found = found || item.key() == name;
    if (found) continue;
    std::string list;
    for (const char* name : known) list += (list.empty() ? "" : ", ") + std::string(name);
    return Status::InvalidArgument(where + ": unknown option '" + item.key() + "' (" + list + ")");
  }
  return Status::Ok();
}

// Checks an options JSON text against `known` (and, for the load options, its "limits" object).
template <size_t N>
Status CheckOptionNames(const std::string& json_text, const char* const (&known)[N], const std::string& where) {
  if (json_text.empty()) return Status::Ok();
  Json json = Json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Status::InvalidArgument(where + ": invalid JSON");
  BT_RETURN_IF_ERROR(OnlyKnownOptions(json, known, where));
  if (const Json* limits = OptionalField(json, "limits")) {
    BT_RETURN_IF_ERROR(OnlyKnownOptions(*limits, contract::kLimitsOptions, where + ".limits"));
  }
  return Status::Ok();
}

}  // namespace bt
