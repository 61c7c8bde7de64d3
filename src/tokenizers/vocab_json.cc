#include "tokenizers/vocab_json.h"

#include <cstdint>
#include <string>

#include "tokenizers/utf8.h"

namespace bt::tokenizers {
namespace {

constexpr size_t kNone = std::string_view::npos;

// JSON's whitespace (nlohmann's skip_whitespace).
inline bool IsSpace(unsigned char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// 1 for the bytes a JSON string holds as they are: printable ASCII but '"' and '\\' (0x20..0x7F).
struct PlainBytes {
  uint8_t table[256] = {};
  constexpr PlainBytes() {
    for (int c = 0x20; c < 0x80; ++c) table[c] = c != '"' && c != '\\';
  }
};
constexpr PlainBytes kPlain;

// Length of the well-formed UTF-8 sequence (2..4 bytes, Unicode Table 3-7, as nlohmann's lexer checks
// it) that starts at p[0] >= 0x80, or 0.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const Utf8Lead lead = ClassifyUtf8Lead(p[0]);
  const size_t length = lead.length;
  if (length == 0) return 0;
  if (static_cast<size_t>(end - p) < length || p[1] < lead.low || p[1] > lead.high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (p[k] < 0x80 || p[k] > 0xBF) return 0;
  }
  return length;
}

// The 4 hex digits at p (inside [p, end)), or -1.
int32_t Hex4(const unsigned char* p, const unsigned char* end) {
  if (end - p < 4) return -1;
  int32_t value = 0;
  for (int k = 0; k < 4; ++k) {
    const unsigned char c = p[k];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return -1;
    }
    value = value << 4 | digit;
  }
  return value;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | cp >> 6));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | cp >> 12));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | cp >> 18));
    out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The rest of a string whose first escape is at *p ('\\'), appended to `out` as nlohmann decodes it;
// *p ends just past the closing quote. False when the string is not valid JSON.
bool ReadEscapedTail(const unsigned char** at, const unsigned char* end, std::string* out) {
  const unsigned char* p = *at;
  while (p < end) {
    const unsigned char c = *p;
    if (kPlain.table[c]) {
      out->push_back(static_cast<char>(c));
      ++p;
    } else if (c == '"') {
      *at = p + 1;
      return true;
    } else if (c >= 0x80) {
      const size_t n = Utf8Length(p, end);
      if (n == 0) return false;
      out->append(reinterpret_cast<const char*>(p), n);
      p += n;
    } else if (c == '\\') {
      if (end - p < 2) return false;
      switch (p[1]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          int32_t cp = Hex4(p + 2, end);
          if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;  // a lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {                           // must be followed by a low one
            if (end - p < 12 || p[6] != '\\' || p[7] != 'u') return false;
            const int32_t low = Hex4(p + 8, end);
            if (low < 0xDC00 || low > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            p += 6;
          }
          AppendUtf8(static_cast<uint32_t>(cp), out);
          p += 4;
          break;
        }
        default:
          return false;
      }
      p += 2;
    } else {
      return false;  // a control character (< 0x20) must be escaped
    }
  }
  return false;  // no closing quote
}

// Raw scanning for FindVocabObject: positions only, nothing validated.
size_t SkipSpace(std::string_view s, size_t i) {
  while (i < s.size() && IsSpace(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// Past the string that opens at s[i] ('"'), or kNone.
size_t SkipString(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return kNone;
}

// Past the value that starts at s[i], or kNone.
size_t SkipValue(std::string_view s, size_t i) {
  if (i >= s.size()) return kNone;
  if (s[i] == '"') return SkipString(s, i);
  if (s[i] == '{' || s[i] == '[') {
    size_t depth = 0;  // brackets of both kinds together: the JSON library checks that they pair up
    while (i < s.size()) {
      const char c = s[i];
      if (c == '"') {
        i = SkipString(s, i);
        if (i == kNone) return kNone;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
      ++i;
    }
    return kNone;
  }
  while (i < s.size() && !IsSpace(static_cast<unsigned char>(s[i])) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
  return i;
}

// Where the value of the first member of the object opening at s[open] whose key is written as `key`
// starts, or kNone.
size_t FindMember(std::string_view s, size_t open, std::string_view key) {
  size_t i = SkipSpace(s, open + 1);
  while (i < s.size() && s[i] == '"') {
    const size_t key_end = SkipString(s, i);
    if (key_end == kNone) return kNone;
    const bool wanted = s.substr(i + 1, key_end - i - 2) == key;
    i = SkipSpace(s, key_end);
    if (i >= s.size() || s[i] != ':') return kNone;
    i = SkipSpace(s, i + 1);
    if (wanted) return i;
    i = SkipValue(s, i);
    if (i == kNone) return kNone;
    i = SkipSpace(s, i);
    if (i >= s.size() || s[i] != ',') return kNone;
    i = SkipSpace(s, i + 1);
  }
  return kNone;
}

}  // namespace

size_t FindVocabObject(std::string_view json) {
  size_t i = json.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;  // a byte order mark, which the JSON library skips
  i = SkipSpace(json, i);
  if (i >= json.size() || json[i] != '{') return kNone;
  const size_t model = FindMember(json, i, "model");
  if (model >= json.size() || json[model] != '{') return kNone;
  const size_t vocab = FindMember(json, model, "vocab");
  if (vocab >= json.size() || json[vocab] != '{') return kNone;
  return vocab;
}

size_t ReadVocabObject(std::string_view json, size_t begin, VocabBuilder* builder) {
  const unsigned char* const base = reinterpret_cast<const unsigned char*>(json.data());
  const unsigned char* const end = base + json.size();
  if (begin >= json.size() || base[begin] != '{') return kNone;
  const unsigned char* p = base + begin + 1;
  std::string unescaped;
  while (p < end && IsSpace(*p)) ++p;
  if (p < end && *p == '}') return static_cast<size_t>(p + 1 - base);
  while (true) {
    // The key: a view into the file unless it has escapes.
    if (p >= end || *p != '"') return kNone;
    const unsigned char* const start = ++p;
    while (p < end) {
      if (kPlain.table[*p]) {
        ++p;
      } else if (*p >= 0x80) {
        const size_t n = Utf8Length(p, end);
        if (n == 0) return kNone;
        p += n;
      } else {
        break;
      }
    }
    if (p >= end) return kNone;
    std::string_view token;
    if (*p == '"') {
      token = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p - start));
      ++p;
    } else if (*p == '\\') {
      unescaped.assign(reinterpret_cast<const char*>(start), static_cast<size_t>(p - start));
      if (!ReadEscapedTail(&p, end, &unescaped)) return kNone;
      token = unescaped;
    } else {
      return kNone;  // a control character
    }
    while (p < end && IsSpace(*p)) ++p;
    if (p >= end || *p != ':') return kNone;
    ++p;
    while (p < end && IsSpace(*p)) ++p;
    // The id: digits only ("0" or no leading zero), at most VocabBuilder's range; a sign, fraction or
    // exponent is irregular (the character after the digits must end the entry).
    if (p >= end || *p < '0' || *p > '9') return kNone;
    int64_t id = *p++ - '0';
    if (id != 0) {
      while (p < end && *p >= '0' && *p <= '9') {
        id = id * 10 + (*p++ - '0');
        if (id > (1 << 24)) return kNone;
      }
    }
    while (p < end && IsSpace(*p)) ++p;
    if (p >= end || (*p != ',' && *p != '}')) return kNone;
    if (!builder->Add(token, id)) return kNone;
    if (*p++ == '}') return static_cast<size_t>(p - base);
    while (p < end && IsSpace(*p)) ++p;
  }
}

}  // namespace bt::tokenizers
