#include "search_fold.h"

#include <cstdint>

namespace convene::web {
namespace {

// U+00C0..U+00FF by base letter; "" keeps the character (× and ÷).
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// U+0100..U+017F (Latin Extended-A) by base letter.
constexpr const char* kLatinA[128] = {
    "a",  "a",  "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d",
    "d",  "d",  "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g",
    "g",  "g",  "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i",
    "i",  "i",  "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l",
    "l",  "l",  "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o",
    "o",  "o",  "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s",
    "s",  "s",  "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u",
    "u",  "u",  "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s"};

void AppendUtf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// The Greek or Cyrillic code point `c` folded; 0 when it is neither.
uint32_t FoldGreekOrCyrillic(uint32_t c) {
  switch (c) {
    case 0x0386: case 0x03AC: return 0x03B1;  // ά -> α
    case 0x0388: case 0x03AD: return 0x03B5;  // έ -> ε
    case 0x0389: case 0x03AE: return 0x03B7;  // ή -> η
    case 0x038A: case 0x03AF: case 0x0390: case 0x03AA: case 0x03CA: return 0x03B9;  // ί ΐ ϊ -> ι
    case 0x038C: case 0x03CC: return 0x03BF;  // ό -> ο
    case 0x038E: case 0x03CD: case 0x03B0: case 0x03AB: case 0x03CB: return 0x03C5;  // ύ ΰ ϋ -> υ
    case 0x038F: case 0x03CE: return 0x03C9;  // ώ -> ω
    case 0x03C2: return 0x03C3;               // final ς -> σ
    case 0x0400: case 0x0401: case 0x0450: case 0x0451: return 0x0435;  // ѐ ё -> е
    default: break;
  }
  if (c >= 0x0391 && c <= 0x03A9) return c + 0x20;  // Greek capitals
  if (c >= 0x03B1 && c <= 0x03C9) return c;
  if (c >= 0x0402 && c <= 0x040F) return c + 0x50;  // Ђ..Џ
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;  // А..Я
  if (c >= 0x0430 && c <= 0x045F) return c;
  return 0;
}

}  // namespace

std::string FoldForSearch(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += (b >= 'A' && b <= 'Z') ? static_cast<char>(b + ('a' - 'A')) : static_cast<char>(b);
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; a malformed one is kept byte by byte.
    size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    uint32_t c = len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool valid = len != 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      valid = (cont & 0xC0) == 0x80;
      c = (c << 6) | (cont & 0x3F);
    }
    if (!valid) {
      out += text[i];
      ++i;
      continue;
    }
    const absl::string_view original = text.substr(i, len);
    i += len;
    if (c >= 0x0300 && c <= 0x036F) continue;  // combining accents
    if (c >= 0x00C0 && c <= 0x00FF) {
      const char* base = kLatin1[c - 0xC0];
      if (*base != '\0') {
        out += base;
        continue;
      }
    } else if (c >= 0x0100 && c <= 0x017F) {
      out += kLatinA[c - 0x100];
      continue;
    } else if (c >= 0x0218 && c <= 0x021B) {  // Romanian Ș ș Ț ț
      out += c < 0x021A ? 's' : 't';
      continue;
    } else if (uint32_t folded = FoldGreekOrCyrillic(c); folded != 0) {
      AppendUtf8(out, folded);
      continue;
    }
    out.append(original.data(), original.size());
  }
  return out;
}

}  // namespace convene::web
