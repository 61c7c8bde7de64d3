// The public face of the regex engine (regex.h). The parser is regex_parse.cc, the compiler and the
// Pike VM regex_vm.cc; the types they share are in regex_internal.h.
#include "tokenizers/regex.h"

#include <memory>

#include "tokenizers/regex_internal.h"

namespace bt::tokenizers {

Regex::Regex() = default;
Regex::Regex(Regex&&) noexcept = default;
Regex& Regex::operator=(Regex&&) noexcept = default;
Regex::~Regex() = default;

Result<Regex> Regex::Compile(std::u32string_view pattern) {
  Regex regex;
  regex.program_ = std::make_unique<Program>();
  BT_ASSIGN_OR_RETURN(regex_internal::Node root, regex_internal::ParsePattern(pattern, regex.program_.get()));
  BT_RETURN_IF_ERROR(regex_internal::CompileProgram(root, regex.program_.get()));
  return regex;
}

Regex Regex::Literal(std::u32string_view text) {
  Regex regex;
  regex.program_ = std::make_unique<Program>();
  for (char32_t c : text) {
    regex_internal::Inst inst;
    inst.op = regex_internal::Op::kConsume;
    inst.atom.kind = regex_internal::Atom::kChar;
    inst.atom.c = c;
    regex.program_->code.push_back(inst);
  }
  regex.program_->code.push_back(regex_internal::Inst{});  // kMatch
  return regex;
}

Status Regex::FindAll(std::u32string_view text, std::vector<std::pair<size_t, size_t>>* matches) const {
  if (!program_) return Status::Internal("regex: not compiled");
  return regex_internal::FindAllMatches(*program_, text, matches);
}

}  // namespace bt::tokenizers
