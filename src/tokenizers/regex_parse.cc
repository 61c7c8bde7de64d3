// The regex parser: an Oniguruma-syntax pattern (the subset regex.h lists) -> the tree of
// regex_internal.h, refusing what the engine does not support with the position in the pattern.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>

#include "tokenizers/regex_internal.h"
#include "tokenizers/unicode.h"
#include "tokenizers/utf8.h"

namespace bt::tokenizers::regex_internal {
namespace {

using unicode::GeneralCategory;

class Parser {
 public:
  Parser(std::u32string_view pattern, Regex::Program* program) : p_(pattern), program_(program) {}

  Result<Node> Parse() {
    Flags flags;
    BT_ASSIGN_OR_RETURN(Node node, ParseAlternation(flags, 0));
    if (at_ < p_.size()) return Error("unmatched ')'");
    return node;
  }

 private:
  struct Flags {
    bool fold = false;
    bool dotall = false;
  };

  Status Error(const std::string& what) const {
    return Status::BadCheckpoint("regex: " + what + " at position " + std::to_string(at_) + " of '" + EncodeUtf8(p_) + "'");
  }

  bool More() const { return at_ < p_.size(); }
  char32_t Peek(size_t ahead = 0) const { return at_ + ahead < p_.size() ? p_[at_ + ahead] : 0; }
  bool Accept(char32_t c) {
    if (Peek() != c || !More()) return false;
    ++at_;
    return true;
  }

  Result<Node> ParseAlternation(Flags& flags, int depth) {
    if (depth > kMaxNesting) return Error("groups nested too deeply");
    Node alt;
    alt.kind = Node::kAlternate;
    for (;;) {
      BT_ASSIGN_OR_RETURN(Node branch, ParseConcat(flags, depth));
      alt.children.push_back(std::move(branch));
      if (!Accept('|')) break;
    }
    if (alt.children.size() == 1) return std::move(alt.children[0]);
    return alt;
  }

  Result<Node> ParseConcat(Flags& flags, int depth) {
    Node concat;
    concat.kind = Node::kConcat;
    while (More() && Peek() != '|' && Peek() != ')') {
      // Inline flags "(?i)" change the flags for the rest of the group.
      if (Peek() == '(' && Peek(1) == '?') {
        size_t save = at_;
        at_ += 2;
        Flags inline_flags = flags;
        bool colon = false;
        if (ParseFlagLetters(&inline_flags, &colon) && !colon && Accept(')')) {
          flags = inline_flags;
          continue;
        }
        at_ = save;
      }
      BT_ASSIGN_OR_RETURN(Node item, ParseRepeat(flags, depth));
      concat.children.push_back(std::move(item));
    }
    if (concat.children.size() == 1) return std::move(concat.children[0]);
    if (concat.children.empty()) return Node{};
    return concat;
  }

  // Flag letters after "(?": i, m, x (refused), with '-' turning off; stops at ':' or ')'.
  bool ParseFlagLetters(Flags* flags, bool* colon) {
    bool on = true, any = false;
    while (More()) {
      const char32_t c = Peek();
      if (c == '-') { on = false; ++at_; continue; }
      if (c == 'i') { flags->fold = on; ++at_; any = true; continue; }
      if (c == 'm') { flags->dotall = on; ++at_; any = true; continue; }
      if (c == ':') { ++at_; *colon = true; return true; }
      if (c == ')') return any || !on;
      return false;
    }
    return false;
  }

  Result<Node> ParseRepeat(Flags& flags, int depth) {
    BT_ASSIGN_OR_RETURN(Node node, ParsePrimary(flags, depth));
    for (;;) {
      int min = 0, max = 0;
      const size_t save = at_;
      if (Accept('*')) {
        min = 0, max = kInfinite;
      } else if (Accept('+')) {
        min = 1, max = kInfinite;
      } else if (Accept('?')) {
        min = 0, max = 1;
      } else if (Peek() == '{' && ParseInterval(&min, &max)) {
      } else {
        at_ = save;
        break;
      }
      if (node.kind == Node::kAssert || node.kind == Node::kLook) return Error("quantifier after an assertion");
      bool greedy = true;
      if (Accept('?')) {
        greedy = false;
      } else if (Peek() == '+') {
        return Error("possessive quantifiers are not supported");
      }
      if (max != kInfinite && max < min) return Error("repetition {n,m} with m < n");
      if (min > 100000 || max > 100000) return Error("repetition count too large");
      Node repeat;
      repeat.kind = Node::kRepeat;
      repeat.min = min;
      repeat.max = max;
      repeat.greedy = greedy;
      repeat.children.push_back(std::move(node));
      node = std::move(repeat);
    }
    return node;
  }

  // {n}, {n,}, {n,m}, {,m}; anything else leaves `at_` alone and is a literal '{'.
  bool ParseInterval(int* min, int* max) {
    size_t i = at_ + 1;
    auto number = [&](int* out) {
      const size_t start = i;
      int64_t value = 0;
      while (i < p_.size() && p_[i] >= '0' && p_[i] <= '9') {
        value = std::min<int64_t>(value * 10 + (p_[i] - '0'), 1000000);
        ++i;
      }
      *out = static_cast<int>(value);
      return i > start;
    };
    int lo = 0, hi = 0;
    const bool has_lo = number(&lo);
    if (i < p_.size() && p_[i] == '}') {
      if (!has_lo) return false;
      *min = *max = lo;
      at_ = i + 1;
      return true;
    }
    if (i >= p_.size() || p_[i] != ',') return false;
    ++i;
    const bool has_hi = number(&hi);
    if (i >= p_.size() || p_[i] != '}' || (!has_lo && !has_hi)) return false;
    *min = has_lo ? lo : 0;
    *max = has_hi ? hi : kInfinite;
    at_ = i + 1;
    return true;
  }

  Node AtomNode(Atom atom) const {
    Node node;
    node.kind = Node::kAtom;
    node.atom = atom;
    return node;
  }

  Node AssertNode(AssertKind kind) const {
    Node node;
    node.kind = Node::kAssert;
    node.assert_kind = kind;
    return node;
  }

  Atom CharAtom(char32_t c, const Flags& flags) const {
    Atom atom;
    atom.kind = Atom::kChar;
    atom.fold = flags.fold;
    atom.c = flags.fold ? Fold(c) : c;
    return atom;
  }

  Atom SetAtom(CharSet set, const Flags& flags) {
    Atom atom;
    atom.kind = Atom::kSet;
    atom.fold = flags.fold;
    atom.set = static_cast<int>(program_->sets.size());
    program_->sets.push_back(std::move(set));
    return atom;
  }

  Result<Node> ParsePrimary(Flags& flags, int depth) {
    const char32_t c = Peek();
    switch (c) {
      case '(': return ParseGroup(flags, depth);
      case '[': {
        ++at_;
        BT_ASSIGN_OR_RETURN(CharSet set, ParseClass(0));
        return AtomNode(SetAtom(std::move(set), flags));
      }
      case '.': {
        ++at_;
        Atom atom;
        atom.kind = flags.dotall ? Atom::kAnyChar : Atom::kAnyButNewline;
        return AtomNode(atom);
      }
      case '^': ++at_; return AssertNode(AssertKind::kLineStart);
      case '$': ++at_; return AssertNode(AssertKind::kLineEnd);
      case '*': case '+': case '?': return Error("nothing to repeat");
      case '\\': return ParseEscapeNode(flags);
      default:
        ++at_;
        return AtomNode(CharAtom(c, flags));
    }
  }

  Result<Node> ParseGroup(Flags& flags, int depth) {
    ++at_;  // '('
    Flags inner = flags;
    Node look_node;
    bool is_look = false;
    if (Accept('?')) {
      const char32_t c = Peek();
      if (c == ':') {
        ++at_;
      } else if (c == '=' || c == '!') {
        ++at_;
        is_look = true;
        look_node.kind = Node::kLook;
        Look look;
        look.ahead = true;
        look.negated = c == '!';
        look_node.look = static_cast<int>(program_->looks.size());
        program_->looks.push_back(look);
      } else if (c == '<' && (Peek(1) == '=' || Peek(1) == '!')) {
        const bool negated = Peek(1) == '!';
        at_ += 2;
        is_look = true;
        look_node.kind = Node::kLook;
        Look look;
        look.ahead = false;
        look.negated = negated;
        look_node.look = static_cast<int>(program_->looks.size());
        program_->looks.push_back(look);
      } else if (c == '<' || c == '\'') {  // named group
        const char32_t close = c == '<' ? '>' : '\'';
        ++at_;
        while (More() && Peek() != close) ++at_;
        if (!Accept(close)) return Error("unterminated group name");
      } else if (c == '>') {
        return Error("atomic groups (?>...) are not supported");
      } else if (c == '#') {  // comment
        while (More() && Peek() != ')') ++at_;
        if (!Accept(')')) return Error("unterminated comment");
        return Node{};
      } else {
        bool colon = false;
        if (!ParseFlagLetters(&inner, &colon) || !colon) return Error("unsupported group construct");
      }
    }
    BT_ASSIGN_OR_RETURN(Node body, ParseAlternation(inner, depth + 1));
    if (!Accept(')')) return Error("missing ')'");
    if (!is_look) return body;
    // Lookaround bodies must be a fixed sequence of single-character steps.
    std::vector<Atom> steps;
    if (!Linearize(body, &steps)) {
      return Error("lookaround bodies must be a fixed-length sequence of characters or classes");
    }
    program_->looks[look_node.look].body = std::move(steps);
    return look_node;
  }

  static bool Linearize(const Node& node, std::vector<Atom>* steps) {
    switch (node.kind) {
      case Node::kEmpty: return true;
      case Node::kAtom: steps->push_back(node.atom); return true;
      case Node::kConcat:
        for (const Node& child : node.children) {
          if (!Linearize(child, steps)) return false;
        }
        return true;
      case Node::kRepeat:
        if (node.min != node.max || node.min > 64) return false;
        for (int i = 0; i < node.min; ++i) {
          if (!Linearize(node.children[0], steps)) return false;
        }
        return true;
      default:
        return false;
    }
  }

  Result<uint32_t> ParseHex(size_t min_digits, size_t max_digits) {
    uint32_t value = 0;
    size_t digits = 0;
    while (digits < max_digits && More()) {
      const char32_t c = Peek();
      int d;
      if (c >= '0' && c <= '9') d = static_cast<int>(c - '0');
      else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') d = static_cast<int>((c | 0x20) - 'a' + 10);
      else break;
      value = value * 16 + static_cast<uint32_t>(d);
      if (value > 0x10FFFF) return Error("code point out of range");
      ++at_, ++digits;
    }
    if (digits < min_digits) return Error("bad hexadecimal escape");
    return value;
  }

  // After a backslash: either one char (literal / control escape) or a class; `in_class` parses
  // the class escapes' meaning inside [...] (\b is a backspace there).
  struct Escape {
    bool is_char = true;
    char32_t c = 0;
    CharSet set;
  };

  Result<Escape> ParseEscape(bool in_class) {
    ++at_;  // '\'
    if (!More()) return Error("pattern ends with a backslash");
    const char32_t c = Peek();
    ++at_;
    Escape e;
    auto prop_set = [&](Prop prop, bool negated) {
      e.is_char = false;
      ClassTerm term;
      term.kind = ClassTerm::kProp;
      term.index = static_cast<int>(prop);
      term.negated = negated;
      e.set.terms.push_back(term);
    };
    switch (c) {
      case 't': e.c = '\t'; return e;
      case 'n': e.c = '\n'; return e;
      case 'r': e.c = '\r'; return e;
      case 'f': e.c = '\f'; return e;
      case 'v': e.c = '\v'; return e;
      case 'a': e.c = 0x07; return e;
      case 'e': e.c = 0x1B; return e;
      case 'd': prop_set(Prop::kDigit, false); return e;
      case 'D': prop_set(Prop::kDigit, true); return e;
      case 'w': prop_set(Prop::kWord, false); return e;
      case 'W': prop_set(Prop::kWord, true); return e;
      case 's': prop_set(Prop::kSpace, false); return e;
      case 'S': prop_set(Prop::kSpace, true); return e;
      case 'h': prop_set(Prop::kHexDigit, false); return e;
      case 'H': prop_set(Prop::kHexDigit, true); return e;
      case 'x': {
        if (Accept('{')) {
          BT_ASSIGN_OR_RETURN(uint32_t v, ParseHex(1, 8));
          if (!Accept('}')) return Error("bad \\x{...} escape");
          e.c = v;
        } else {
          BT_ASSIGN_OR_RETURN(uint32_t v, ParseHex(1, 2));
          e.c = v;
        }
        return e;
      }
      case 'u': {
        BT_ASSIGN_OR_RETURN(uint32_t v, ParseHex(4, 4));
        e.c = v;
        return e;
      }
      case 'p':
      case 'P': {
        if (!Accept('{')) return Error("expected '{' after \\p");
        bool negated = c == 'P';
        if (Accept('^')) negated = !negated;
        const size_t start = at_;
        while (More() && Peek() != '}') ++at_;
        if (!More()) return Error("unterminated \\p{...}");
        std::u32string name(p_.substr(start, at_ - start));
        ++at_;
        BT_ASSIGN_OR_RETURN(ClassTerm term, PropertyTerm(name));
        term.negated = term.negated != negated;
        e.is_char = false;
        e.set.terms.push_back(term);
        return e;
      }
      case '0': {  // \0, \0o, \0oo
        uint32_t v = 0;
        for (int i = 0; i < 2 && Peek() >= '0' && Peek() <= '7' && More(); ++i, ++at_) v = v * 8 + (Peek() - '0');
        e.c = v;
        return e;
      }
      default:
        break;
    }
    if (c >= '1' && c <= '9') return Error("backreferences are not supported");
    if (c == 'k' || c == 'g') return Error("backreferences and subexpression calls are not supported");
    if (!in_class && (c == 'b' || c == 'B' || c == 'A' || c == 'z' || c == 'Z' || c == 'G')) {
      return Error("internal: assertion escape");
    }
    if (in_class && c == 'b') {
      e.c = 0x08;
      return e;
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Error(std::string("unsupported escape \\") + static_cast<char>(c));
    e.c = c;  // escaped punctuation, space, or any other char stands for itself
    return e;
  }

  Result<Node> ParseEscapeNode(Flags& flags) {
    const char32_t c = Peek(1);
    switch (c) {
      case 'b': at_ += 2; return AssertNode(AssertKind::kWordBoundary);
      case 'B': at_ += 2; return AssertNode(AssertKind::kNotWordBoundary);
      case 'A': at_ += 2; return AssertNode(AssertKind::kTextStart);
      case 'z': at_ += 2; return AssertNode(AssertKind::kTextEnd);
      case 'Z': at_ += 2; return AssertNode(AssertKind::kTextEndNewline);
      case 'G': return Error("\\G is not supported");
      default: break;
    }
    BT_ASSIGN_OR_RETURN(Escape e, ParseEscape(false));
    if (e.is_char) return AtomNode(CharAtom(e.c, flags));
    return AtomNode(SetAtom(std::move(e.set), flags));
  }

  static std::string NormalizeName(std::u32string_view name) {
    std::string out;
    for (char32_t c : name) {
      if (c == ' ' || c == '_' || c == '-') continue;
      if (c >= 0x80) return std::string();  // no such property
      out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    }
    return out;
  }

  Result<ClassTerm> PropertyTerm(std::u32string_view raw) {
    const std::string name = NormalizeName(raw);
    ClassTerm term;
    term.kind = ClassTerm::kCategories;
    auto cats = [](std::initializer_list<GeneralCategory> list) {
      uint32_t mask = 0;
      for (GeneralCategory c : list) mask |= 1u << static_cast<int>(c);
      return mask;
    };
    using G = GeneralCategory;
    struct Named {
      const char* short_name;
      const char* long_name;
      uint32_t mask;
    };
    const Named groups[] = {
        {"l", "letter", cats({G::kLu, G::kLl, G::kLt, G::kLm, G::kLo})},
        {"lc", "casedletter", cats({G::kLu, G::kLl, G::kLt})},
        {"m", "mark", cats({G::kMn, G::kMc, G::kMe})},
        {"n", "number", cats({G::kNd, G::kNl, G::kNo})},
        {"p", "punctuation", cats({G::kPc, G::kPd, G::kPs, G::kPe, G::kPi, G::kPf, G::kPo})},
        {"s", "symbol", cats({G::kSm, G::kSc, G::kSk, G::kSo})},
        {"z", "separator", cats({G::kZs, G::kZl, G::kZp})},
        {"c", "other", cats({G::kCc, G::kCf, G::kCs, G::kCo, G::kCn})},
        {"lu", "uppercaseletter", cats({G::kLu})}, {"ll", "lowercaseletter", cats({G::kLl})},
        {"lt", "titlecaseletter", cats({G::kLt})}, {"lm", "modifierletter", cats({G::kLm})},
        {"lo", "otherletter", cats({G::kLo})}, {"mn", "nonspacingmark", cats({G::kMn})},
        {"mc", "spacingmark", cats({G::kMc})}, {"me", "enclosingmark", cats({G::kMe})},
        {"nd", "decimalnumber", cats({G::kNd})}, {"nl", "letternumber", cats({G::kNl})},
        {"no", "othernumber", cats({G::kNo})}, {"pc", "connectorpunctuation", cats({G::kPc})},
        {"pd", "dashpunctuation", cats({G::kPd})}, {"ps", "openpunctuation", cats({G::kPs})},
        {"pe", "closepunctuation", cats({G::kPe})}, {"pi", "initialpunctuation", cats({G::kPi})},
        {"pf", "finalpunctuation", cats({G::kPf})}, {"po", "otherpunctuation", cats({G::kPo})},
        {"sm", "mathsymbol", cats({G::kSm})}, {"sc", "currencysymbol", cats({G::kSc})},
        {"sk", "modifiersymbol", cats({G::kSk})}, {"so", "othersymbol", cats({G::kSo})},
        {"zs", "spaceseparator", cats({G::kZs})}, {"zl", "lineseparator", cats({G::kZl})},
        {"zp", "paragraphseparator", cats({G::kZp})}, {"cc", "control", cats({G::kCc})},
        {"cf", "format", cats({G::kCf})}, {"cs", "surrogate", cats({G::kCs})},
        {"co", "privateuse", cats({G::kCo})}, {"cn", "unassigned", cats({G::kCn})},
    };
    for (const Named& group : groups) {
      if (name == group.short_name || name == group.long_name) {
        term.categories = group.mask;
        return term;
      }
    }
    term.kind = ClassTerm::kProp;
    const std::pair<const char*, Prop> props[] = {
        {"alpha", Prop::kAlphabetic}, {"alphabetic", Prop::kAlphabetic}, {"space", Prop::kSpace},
        {"whitespace", Prop::kSpace}, {"word", Prop::kWord}, {"digit", Prop::kDigit}, {"xdigit", Prop::kHexDigit},
        {"any", Prop::kAny}, {"ascii", Prop::kAscii},
    };
    for (const auto& [prop_name, prop] : props) {
      if (name == prop_name) {
        term.index = static_cast<int>(prop);
        return term;
      }
    }
    // Scripts by their long names, compared the same loose way.
    const int script = unicode::ScriptByName(name);
    if (script > 0) {
      term.kind = ClassTerm::kScript;
      term.index = script;
      return term;
    }
    return Error("unknown property \\p{" + EncodeUtf8(raw) + "}");
  }

  // [...] after the '['; nested classes recurse.
  Result<CharSet> ParseClass(int depth) {
    if (depth > kMaxNesting) return Error("classes nested too deeply");
    CharSet set;
    if (Accept('^')) set.negated = true;
    bool first = true;
    for (;;) {
      if (!More()) return Error("missing ']'");
      char32_t c = Peek();
      if (c == ']' && !first) {
        ++at_;
        break;
      }
      first = false;
      if (c == '[' && Peek(1) == ':') {
        BT_ASSIGN_OR_RETURN(ClassTerm term, ParsePosix());
        set.terms.push_back(term);
        continue;
      }
      if (c == '[') {
        ++at_;
        BT_ASSIGN_OR_RETURN(CharSet nested, ParseClass(depth + 1));
        ClassTerm term;
        term.kind = ClassTerm::kNested;
        term.index = static_cast<int>(program_->sets.size());
        program_->sets.push_back(std::move(nested));
        set.terms.push_back(term);
        continue;
      }
      if (c == '&' && Peek(1) == '&') return Error("class intersection (&&) is not supported");
      char32_t lo;
      if (c == '\\') {
        BT_ASSIGN_OR_RETURN(Escape e, ParseEscape(true));
        if (!e.is_char) {
          for (ClassTerm& term : e.set.terms) set.terms.push_back(term);
          continue;
        }
        lo = e.c;
      } else {
        ++at_;
        lo = c;
      }
      char32_t hi = lo;
      if (Peek() == '-' && Peek(1) != ']' && at_ + 1 < p_.size()) {
        ++at_;
        if (Peek() == '\\') {
          BT_ASSIGN_OR_RETURN(Escape e, ParseEscape(true));
          if (!e.is_char) return Error("a class escape cannot end a range");
          hi = e.c;
        } else if (Peek() == '[') {
          return Error("a class cannot end a range");
        } else {
          hi = Peek();
          ++at_;
        }
        if (hi < lo) return Error("range out of order in character class");
      }
      ClassTerm term;
      term.kind = ClassTerm::kRange;
      term.lo = lo;
      term.hi = hi;
      set.terms.push_back(term);
    }
    return set;
  }

  Result<ClassTerm> ParsePosix() {
    at_ += 2;  // "[:"
    bool negated = Accept('^');
    const size_t start = at_;
    while (More() && Peek() != ':') ++at_;
    const std::u32string name(p_.substr(start, at_ - start));
    if (!Accept(':') || !Accept(']')) return Error("bad POSIX bracket");
    static const std::pair<const char32_t*, const char32_t*> kMap[] = {
        {U"alpha", U"Alphabetic"}, {U"digit", U"Nd"}, {U"space", U"White_Space"}, {U"upper", U"Lu"},
        {U"lower", U"Ll"}, {U"punct", U"P"}, {U"xdigit", U"XDigit"}, {U"word", U"Word"}, {U"cntrl", U"Cc"},
    };
    for (const auto& [posix, prop] : kMap) {
      if (name == posix) {
        BT_ASSIGN_OR_RETURN(ClassTerm term, PropertyTerm(prop));
        term.negated = term.negated != negated;
        return term;
      }
    }
    if (name == U"alnum") {
      return Error("[:alnum:] is not supported");
    }
    return Error("unknown POSIX bracket [:" + EncodeUtf8(name) + ":]");
  }

  std::u32string_view p_;
  size_t at_ = 0;
  Regex::Program* program_;
};

}  // namespace

Result<Node> ParsePattern(std::u32string_view pattern, Regex::Program* program) {
  Parser parser(pattern, program);
  return parser.Parse();
}

}  // namespace bt::tokenizers::regex_internal
