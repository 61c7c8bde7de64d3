// The regex back end: the tree -> Pike VM instructions (Compiler), and the VM itself (Matcher):
// linear in the text for a given program, with a cap on the work per text.
#include <algorithm>
#include <string>
#include <utility>

#include "tokenizers/regex_internal.h"
#include "tokenizers/unicode.h"

namespace bt::tokenizers {
namespace regex_internal {
namespace {

using unicode::GeneralCategory;

bool HasProp(Prop prop, char32_t c) {
  switch (prop) {
    case Prop::kSpace: return unicode::IsWhitespace(c);
    case Prop::kWord: return unicode::IsOnigWordChar(c);
    case Prop::kDigit: return unicode::CategoryOf(c) == GeneralCategory::kNd;
    case Prop::kHexDigit: return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
    case Prop::kAlphabetic: return unicode::IsAlphabetic(c);
    case Prop::kAny: return true;
    case Prop::kAscii: return c < 0x80;
  }
  return false;
}

}  // namespace

char32_t Fold(char32_t c) {
  std::u32string lower;
  unicode::AppendLowercase(c, &lower);
  return lower.size() == 1 ? lower[0] : c;
}

}  // namespace regex_internal

using regex_internal::AssertKind;
using regex_internal::Atom;
using regex_internal::CharSet;
using regex_internal::ClassTerm;
using regex_internal::Fold;
using regex_internal::HasProp;
using regex_internal::Look;
using regex_internal::Prop;

bool Regex::Program::SetMatches(int index, char32_t c) const {
  const CharSet& set = sets[index];
  bool in = false;
  for (const ClassTerm& term : set.terms) {
    bool hit = false;
    switch (term.kind) {
      case ClassTerm::kRange: hit = c >= term.lo && c <= term.hi; break;
      case ClassTerm::kCategories: hit = (term.categories >> static_cast<int>(unicode::CategoryOf(c))) & 1u; break;
      case ClassTerm::kScript: hit = unicode::ScriptOf(c) == term.index; break;
      case ClassTerm::kProp: hit = HasProp(static_cast<Prop>(term.index), c); break;
      case ClassTerm::kNested: hit = SetMatches(term.index, c); break;
    }
    if (hit != term.negated) {
      in = true;
      break;
    }
  }
  return in != set.negated;
}

bool Regex::Program::AtomMatches(const Atom& atom, char32_t c) const {
  switch (atom.kind) {
    case Atom::kChar: return c == atom.c || (atom.fold && Fold(c) == atom.c);
    case Atom::kSet:
      if (SetMatches(atom.set, c)) return true;
      if (!atom.fold) return false;
      {
        const char32_t folded = Fold(c);
        if (folded != c && SetMatches(atom.set, folded)) return true;
        if (c < 0x80 && ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return SetMatches(atom.set, c ^ 0x20);
      }
      return false;
    case Atom::kAnyButNewline: return c != '\n';
    case Atom::kAnyChar: return true;
  }
  return false;
}

bool Regex::Program::AssertHolds(AssertKind kind, std::u32string_view text, size_t at) const {
  const size_t n = text.size();
  switch (kind) {
    case AssertKind::kLineStart: return at == 0 || text[at - 1] == '\n';
    case AssertKind::kLineEnd: return at == n || text[at] == '\n';
    case AssertKind::kTextStart: return at == 0;
    case AssertKind::kTextEnd: return at == n;
    case AssertKind::kTextEndNewline: return at == n || (at + 1 == n && text[at] == '\n');
    case AssertKind::kWordBoundary:
    case AssertKind::kNotWordBoundary: {
      const bool before = at > 0 && unicode::IsOnigWordChar(text[at - 1]);
      const bool after = at < n && unicode::IsOnigWordChar(text[at]);
      return (before != after) == (kind == AssertKind::kWordBoundary);
    }
  }
  return false;
}

bool Regex::Program::LookHolds(int index, std::u32string_view text, size_t at) const {
  const Look& look = looks[index];
  const size_t k = look.body.size();
  bool ok;
  if (look.ahead) {
    ok = at + k <= text.size();
    for (size_t i = 0; ok && i < k; ++i) ok = AtomMatches(look.body[i], text[at + i]);
  } else {
    ok = at >= k;
    for (size_t i = 0; ok && i < k; ++i) ok = AtomMatches(look.body[i], text[at - k + i]);
  }
  return ok != look.negated;
}

namespace regex_internal {
namespace {

// Compiles the AST into Pike VM instructions.
class Compiler {
 public:
  explicit Compiler(Regex::Program* program) : program_(program) {}

  Status Compile(const Node& node) {
    BT_RETURN_IF_ERROR(Emit(node, 0));
    Inst match;
    match.op = Op::kMatch;
    return Push(match);
  }

 private:
  Status Push(const Inst& inst) {
    if (program_->code.size() >= static_cast<size_t>(kMaxProgram)) {
      return Status::Limit("regex: the pattern expands to more than " + std::to_string(kMaxProgram) +
                           " instructions (counted repetitions too large)");
    }
    program_->code.push_back(inst);
    return Status::Ok();
  }
  int Here() const { return static_cast<int>(program_->code.size()); }

  Status Emit(const Node& node, int depth) {
    if (depth > 4 * kMaxNesting) return Status::Limit("regex: pattern nested too deeply");
    switch (node.kind) {
      case Node::kEmpty:
        return Status::Ok();
      case Node::kAtom: {
        Inst inst;
        inst.op = Op::kConsume;
        inst.atom = node.atom;
        return Push(inst);
      }
      case Node::kConcat:
        for (const Node& child : node.children) BT_RETURN_IF_ERROR(Emit(child, depth + 1));
        return Status::Ok();
      case Node::kAlternate: {
        std::vector<int> jumps;
        for (size_t i = 0; i < node.children.size(); ++i) {
          int split = -1;
          if (i + 1 < node.children.size()) {
            split = Here();
            Inst inst;
            inst.op = Op::kSplit;
            BT_RETURN_IF_ERROR(Push(inst));
            program_->code[split].x = Here();
          }
          BT_RETURN_IF_ERROR(Emit(node.children[i], depth + 1));
          if (i + 1 < node.children.size()) {
            jumps.push_back(Here());
            Inst jump;
            jump.op = Op::kJump;
            BT_RETURN_IF_ERROR(Push(jump));
            program_->code[split].y = Here();
          }
        }
        for (int j : jumps) program_->code[j].x = Here();
        return Status::Ok();
      }
      case Node::kRepeat: {
        const Node& body = node.children[0];
        for (int i = 0; i < node.min; ++i) BT_RETURN_IF_ERROR(Emit(body, depth + 1));
        if (node.max == kInfinite) {
          const int loop = Here();
          Inst split;
          split.op = Op::kSplit;
          BT_RETURN_IF_ERROR(Push(split));
          const int body_start = Here();
          BT_RETURN_IF_ERROR(Emit(body, depth + 1));
          Inst jump;
          jump.op = Op::kJump;
          jump.x = loop;
          BT_RETURN_IF_ERROR(Push(jump));
          SetSplit(loop, body_start, Here(), node.greedy);
          return Status::Ok();
        }
        std::vector<int> splits;
        for (int i = node.min; i < node.max; ++i) {
          splits.push_back(Here());
          Inst split;
          split.op = Op::kSplit;
          BT_RETURN_IF_ERROR(Push(split));
          program_->code[splits.back()].x = Here();  // body start, fixed below
          BT_RETURN_IF_ERROR(Emit(body, depth + 1));
        }
        for (int s : splits) SetSplit(s, s + 1, Here(), node.greedy);
        return Status::Ok();
      }
      case Node::kAssert: {
        Inst inst;
        inst.op = Op::kAssert;
        inst.assert_kind = node.assert_kind;
        return Push(inst);
      }
      case Node::kLook: {
        Inst inst;
        inst.op = Op::kLook;
        inst.x = node.look;
        return Push(inst);
      }
    }
    return Status::Ok();
  }

  void SetSplit(int at, int body, int skip, bool greedy) {
    program_->code[at].x = greedy ? body : skip;
    program_->code[at].y = greedy ? skip : body;
  }

  Regex::Program* program_;
};

// The Pike VM: threads in priority order; the first thread to reach kMatch wins over every
// lower-priority thread, which gives backtracking (leftmost-first) match boundaries.
class Matcher {
 public:
  Matcher(const Regex::Program& program, std::u32string_view text, uint64_t budget)
      : program_(program), text_(text), budget_(budget), marks_(program.code.size(), 0) {}

  // The leftmost-first match starting at or after `from`; false when there is none.
  Result<bool> Search(size_t from, size_t* begin, size_t* end) {
    current_.clear();
    NewGeneration();  // marks for the closure at position `from`
    bool matched = false;
    for (size_t at = from;; ++at) {
      // A new thread starting here has the lowest priority of all.
      if (!matched) BT_RETURN_IF_ERROR(AddThread(&current_, 0, at, at));
      next_.clear();
      NewGeneration();  // marks for the closure at position at + 1
      for (const Thread& thread : current_) {
        const Inst& inst = program_.code[thread.pc];
        if (inst.op == Op::kMatch) {
          matched = true;
          *begin = thread.start;
          *end = at;
          break;  // lower-priority threads are cut
        }
        if (at < text_.size() && program_.AtomMatches(inst.atom, text_[at])) {
          BT_RETURN_IF_ERROR(AddThread(&next_, thread.pc + 1, thread.start, at + 1));
        }
      }
      std::swap(current_, next_);
      if (at >= text_.size() || (matched && current_.empty())) break;
    }
    return matched;
  }

 private:
  struct Thread {
    int pc;
    size_t start;
  };

  void NewGeneration() {
    if (++generation_ == 0) {
      std::fill(marks_.begin(), marks_.end(), 0);
      generation_ = 1;
    }
  }

  // Follows the epsilon closure of `pc` at text position `at`, appending consuming and match
  // instructions to `list` in priority order.
  Status AddThread(std::vector<Thread>* list, int pc, size_t start, size_t at) {
    stack_.clear();
    stack_.push_back(pc);
    while (!stack_.empty()) {
      const int p = stack_.back();
      stack_.pop_back();
      if (marks_[p] == generation_) continue;
      marks_[p] = generation_;
      if (++steps_ > budget_) {
        return Status::Limit("regex: the pattern needs too much work on this text (more than " +
                             std::to_string(budget_) + " steps)");
      }
      const Inst& inst = program_.code[p];
      switch (inst.op) {
        case Op::kJump:
          stack_.push_back(inst.x);
          break;
        case Op::kSplit:
          stack_.push_back(inst.y);
          stack_.push_back(inst.x);
          break;
        case Op::kAssert:
          if (program_.AssertHolds(inst.assert_kind, text_, at)) stack_.push_back(p + 1);
          break;
        case Op::kLook:
          if (program_.LookHolds(inst.x, text_, at)) stack_.push_back(p + 1);
          break;
        case Op::kConsume:
        case Op::kMatch:
          list->push_back(Thread{p, start});
          break;
      }
    }
    return Status::Ok();
  }

  const Regex::Program& program_;
  std::u32string_view text_;
  uint64_t budget_;
  uint64_t steps_ = 0;
  std::vector<uint32_t> marks_;
  uint32_t generation_ = 0;
  std::vector<Thread> current_, next_;
  std::vector<int> stack_;
};

}  // namespace

Status CompileProgram(const Node& root, Regex::Program* program) {
  Compiler compiler(program);
  return compiler.Compile(root);
}

Status FindAllMatches(const Regex::Program& program, std::u32string_view text,
                      std::vector<std::pair<size_t, size_t>>* matches) {
  const uint64_t size = program.code.size() + 1;
  // Linear patterns do a few passes over the text; 32 passes of the whole program is the cap.
  const uint64_t budget = 32 * (static_cast<uint64_t>(text.size()) + 16) * size + (1u << 20);
  Matcher matcher(program, text, budget);
  size_t last_end = 0;
  bool have_last = false;
  size_t last_match_end = 0;
  while (last_end <= text.size()) {
    size_t begin = 0, end = 0;
    BT_ASSIGN_OR_RETURN(bool found, matcher.Search(last_end, &begin, &end));
    if (!found) break;
    if (begin == end && have_last && last_match_end == end) {
      ++last_end;  // no empty match right after the previous match
      continue;
    }
    last_end = end;
    have_last = true;
    last_match_end = end;
    matches->emplace_back(begin, end);
  }
  return Status::Ok();
}

}  // namespace regex_internal
}  // namespace bt::tokenizers
