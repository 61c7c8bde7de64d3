// Internal to the regex engine (regex.h is its interface): the parse tree and the Pike VM program
// shared by the parser (regex_parse.cc: pattern -> tree, collecting classes and lookarounds), the
// compiler and the matcher (regex_vm.cc: tree -> instructions, then the VM), and regex.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "tokenizers/regex.h"

namespace bt::tokenizers {
namespace regex_internal {

constexpr int kMaxProgram = 20000;   // instructions after expanding counted repetitions
constexpr int kMaxNesting = 200;     // group nesting while parsing
constexpr int kInfinite = -1;

// Simple case folding for (?i): the single-code-point lowercase mapping.
char32_t Fold(char32_t c);

// Properties a class term can test beyond ranges and general categories.
enum class Prop : uint8_t { kSpace, kWord, kDigit, kHexDigit, kAlphabetic, kAny, kAscii };

struct ClassTerm {
  enum Kind : uint8_t { kRange, kCategories, kScript, kProp, kNested } kind;
  bool negated = false;
  char32_t lo = 0, hi = 0;
  uint32_t categories = 0;  // bit per GeneralCategory
  int index = 0;            // script, Prop, or nested class
};

struct CharSet {
  bool negated = false;
  std::vector<ClassTerm> terms;
};

// One step of a fixed-length lookaround body, or a consuming instruction's test.
struct Atom {
  enum Kind : uint8_t { kChar, kSet, kAnyButNewline, kAnyChar } kind = kChar;
  bool fold = false;
  char32_t c = 0;
  int set = 0;
};

enum class AssertKind : uint8_t { kLineStart, kLineEnd, kTextStart, kTextEnd, kTextEndNewline, kWordBoundary, kNotWordBoundary };

struct Look {
  bool ahead = true;
  bool negated = false;
  std::vector<Atom> body;
};

struct Node {
  enum Kind : uint8_t { kEmpty, kAtom, kConcat, kAlternate, kRepeat, kAssert, kLook } kind = kEmpty;
  Atom atom;
  std::vector<Node> children;
  int min = 0, max = 0;
  bool greedy = true;
  AssertKind assert_kind = AssertKind::kLineStart;
  int look = 0;
};

enum class Op : uint8_t { kConsume, kSplit, kJump, kAssert, kLook, kMatch };

struct Inst {
  Op op = Op::kMatch;
  Atom atom;       // kConsume
  int x = 0, y = 0;  // kSplit (x preferred), kJump (x), kLook (x = look index)
  AssertKind assert_kind = AssertKind::kLineStart;
};

// Parses `pattern` into a tree; character classes and lookarounds go to program->sets / looks.
Result<Node> ParsePattern(std::u32string_view pattern, Regex::Program* program);
// Appends the tree's instructions and a final kMatch to program->code.
Status CompileProgram(const Node& root, Regex::Program* program);
// Regex::FindAll on a compiled program.
Status FindAllMatches(const Regex::Program& program, std::u32string_view text,
                      std::vector<std::pair<size_t, size_t>>* matches);

}  // namespace regex_internal

struct Regex::Program {
  std::vector<regex_internal::Inst> code;
  std::vector<regex_internal::CharSet> sets;
  std::vector<regex_internal::Look> looks;

  bool SetMatches(int index, char32_t c) const;
  bool AtomMatches(const regex_internal::Atom& atom, char32_t c) const;
  bool AssertHolds(regex_internal::AssertKind kind, std::u32string_view text, size_t at) const;
  bool LookHolds(int index, std::u32string_view text, size_t at) const;
};

}  // namespace bt::tokenizers
