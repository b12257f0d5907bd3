#include "core/city_zones.h"

#include <cstdint>
#include <span>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/internal/field_error.h"

namespace convene::core {
namespace {

constexpr CityZone kCities[] = {
    {"Antwerp", "Europe/Brussels"},
    {"Asti", "Europe/Rome"},
    {"Athens", "Europe/Athens"},
    {"Brussels", "Europe/Brussels"},
    {"Cuneo", "Europe/Rome"},
    // The municipality in the Thessaloniki region, not Delta, BC.
    {"Delta", "Europe/Athens"},
    {"Dortmund", "Europe/Berlin"},
    {"Gothenburg", "Europe/Stockholm"},
    {"Madrid", "Europe/Madrid"},
    {"New York", "America/New_York"},
    {"Paris", "Europe/Paris"},
    {"Prague", "Europe/Prague"},
    {"Rotterdam", "Europe/Amsterdam"},
    {"Settimo Torinese", "Europe/Rome"},
    {"Sofia", "Europe/Sofia"},
    {"Tampere", "Europe/Helsinki"},
    {"Thessaloniki", "Europe/Athens"},
    {"Tokyo", "Asia/Tokyo"},
    {"Turin", "Europe/Rome"},
    {"Utrecht", "Europe/Amsterdam"},
    {"Warsaw", "Europe/Warsaw"},
    {"Zagreb", "Europe/Zagreb"},
};

struct Alias {
  absl::string_view key;  // already in the form Normalize() produces
  absl::string_view iana_zone;
};

// Every accepted spelling, English names included, as Normalize() leaves
// them: lowercase, accents stripped, single spaces.
constexpr Alias kAliases[] = {
    {"antwerp", "Europe/Brussels"},
    {"antwerpen", "Europe/Brussels"},
    {"anvers", "Europe/Brussels"},
    {"amberes", "Europe/Brussels"},
    {"anversa", "Europe/Brussels"},
    {"asti", "Europe/Rome"},
    {"athens", "Europe/Athens"},
    {"athina", "Europe/Athens"},
    {"athinai", "Europe/Athens"},
    {"athen", "Europe/Athens"},
    {"athenes", "Europe/Athens"},
    {"atene", "Europe/Athens"},
    {"atenas", "Europe/Athens"},
    {"ateny", "Europe/Athens"},
    {"\u03b1\u03b8\u03b7\u03bd\u03b1", "Europe/Athens"},  // Αθήνα
    {"brussels", "Europe/Brussels"},
    {"bruxelles", "Europe/Brussels"},
    {"brussel", "Europe/Brussels"},  // also Brüssel once folded
    {"bruessel", "Europe/Brussels"},
    {"bruselas", "Europe/Brussels"},
    {"bruxelas", "Europe/Brussels"},
    {"bruksela", "Europe/Brussels"},
    {"cuneo", "Europe/Rome"},
    {"coni", "Europe/Rome"},
    {"delta", "Europe/Athens"},
    {"\u03b4\u03b5\u03bb\u03c4\u03b1", "Europe/Athens"},  // Δέλτα
    {"dortmund", "Europe/Berlin"},
    {"gothenburg", "Europe/Stockholm"},
    {"goteborg", "Europe/Stockholm"},  // Göteborg
    {"goeteborg", "Europe/Stockholm"},
    {"gotemburgo", "Europe/Stockholm"},
    {"madrid", "Europe/Madrid"},
    {"new york", "America/New_York"},
    {"new york city", "America/New_York"},
    {"nyc", "America/New_York"},
    {"nueva york", "America/New_York"},
    {"nowy jork", "America/New_York"},
    {"paris", "Europe/Paris"},
    {"parigi", "Europe/Paris"},
    {"parijs", "Europe/Paris"},
    {"paryz", "Europe/Paris"},  // Paryż
    {"prague", "Europe/Prague"},
    {"praha", "Europe/Prague"},
    {"prag", "Europe/Prague"},
    {"praga", "Europe/Prague"},
    {"rotterdam", "Europe/Amsterdam"},
    {"settimo torinese", "Europe/Rome"},
    {"sofia", "Europe/Sofia"},
    {"sofiya", "Europe/Sofia"},
    {"sofija", "Europe/Sofia"},
    {"\u0441\u043e\u0444\u0438\u044f", "Europe/Sofia"},  // София
    {"tampere", "Europe/Helsinki"},
    {"tammerfors", "Europe/Helsinki"},
    {"thessaloniki", "Europe/Athens"},
    {"thessalonica", "Europe/Athens"},
    {"thessalonique", "Europe/Athens"},
    {"salonika", "Europe/Athens"},
    {"salonica", "Europe/Athens"},
    {"saloniki", "Europe/Athens"},
    {"salonicco", "Europe/Athens"},
    {"tesalonica", "Europe/Athens"},
    // Θεσσαλονίκη
    {"\u03b8\u03b5\u03c3\u03c3\u03b1\u03bb\u03bf\u03bd\u03b9\u03ba\u03b7",
     "Europe/Athens"},
    {"tokyo", "Asia/Tokyo"},
    {"tokio", "Asia/Tokyo"},
    {"\u6771\u4eac", "Asia/Tokyo"},  // 東京
    {"turin", "Europe/Rome"},
    {"torino", "Europe/Rome"},
    {"turijn", "Europe/Rome"},
    {"turyn", "Europe/Rome"},
    {"utrecht", "Europe/Amsterdam"},
    {"warsaw", "Europe/Warsaw"},
    {"warszawa", "Europe/Warsaw"},
    {"varsovie", "Europe/Warsaw"},
    {"varsavia", "Europe/Warsaw"},
    {"varsovia", "Europe/Warsaw"},
    {"warschau", "Europe/Warsaw"},
    {"zagreb", "Europe/Zagreb"},
    {"zagabria", "Europe/Zagreb"},
};

// Base letters of U+00C0..U+00DF (and, 0x20 higher, U+00E0..U+00FF). '*'
// marks code points handled before the table is consulted.
constexpr absl::string_view kLatin1Base = "aaaaaa*ceeeeiiiidnooooo*ouuuuy**";
static_assert(kLatin1Base.size() == 32);

// Base letters of U+0100..U+017F (Latin Extended-A). '*' as above.
constexpr absl::string_view kLatinExtABase =
    "aaaaaa"        // Ā ā Ă ă Ą ą
    "cccccccc"      // Ć ć Ĉ ĉ Ċ ċ Č č
    "dddd"          // Ď ď Đ đ
    "eeeeeeeeee"    // Ē ē Ĕ ĕ Ė ė Ę ę Ě ě
    "gggggggg"      // Ĝ ĝ Ğ ğ Ġ ġ Ģ ģ
    "hhhh"          // Ĥ ĥ Ħ ħ
    "iiiiiiiiii"    // Ĩ ĩ Ī ī Ĭ ĭ Į į İ ı
    "**"            // Ĳ ĳ
    "jj"            // Ĵ ĵ
    "kkk"           // Ķ ķ ĸ
    "llllllllll"    // Ĺ ĺ Ļ ļ Ľ ľ Ŀ ŀ Ł ł
    "nnnnnnnnn"     // Ń ń Ņ ņ Ň ň ŉ Ŋ ŋ
    "oooooo"        // Ō ō Ŏ ŏ Ő ő
    "**"            // Œ œ
    "rrrrrr"        // Ŕ ŕ Ŗ ŗ Ř ř
    "ssssssss"      // Ś ś Ŝ ŝ Ş ş Š š
    "tttttt"        // Ţ ţ Ť ť Ŧ ŧ
    "uuuuuuuuuuuu"  // Ũ ũ Ū ū Ŭ ŭ Ů ů Ű ű Ų ų
    "ww"            // Ŵ ŵ
    "yyy"           // Ŷ ŷ Ÿ
    "zzzzzz"        // Ź ź Ż ż Ž ž
    "s";            // ſ
static_assert(kLatinExtABase.size() == 0x80);

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes the code point at `text[*pos]` and moves `*pos` past it. A byte
// that does not start a well-formed sequence decodes as U+FFFD on its own,
// so malformed input never matches a key and never stops the scan.
char32_t NextCodePoint(absl::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const auto continuation = [&](size_t i) {
    return i < text.size() && (byte(i) & 0xC0) == 0x80;
  };
  const size_t i = *pos;
  const uint8_t b = byte(i);
  if (b < 0x80) {
    *pos = i + 1;
    return b;
  }
  if ((b & 0xE0) == 0xC0 && continuation(i + 1)) {
    *pos = i + 2;
    return (char32_t{b & 0x1Fu} << 6) | (byte(i + 1) & 0x3Fu);
  }
  if ((b & 0xF0) == 0xE0 && continuation(i + 1) && continuation(i + 2)) {
    *pos = i + 3;
    return (char32_t{b & 0x0Fu} << 12) | (char32_t{byte(i + 1) & 0x3Fu} << 6) |
           (byte(i + 2) & 0x3Fu);
  }
  if ((b & 0xF8) == 0xF0 && continuation(i + 1) && continuation(i + 2) &&
      continuation(i + 3)) {
    *pos = i + 4;
    return (char32_t{b & 0x07u} << 18) | (char32_t{byte(i + 1) & 0x3Fu} << 12) |
           (char32_t{byte(i + 2) & 0x3Fu} << 6) | (byte(i + 3) & 0x3Fu);
  }
  *pos = i + 1;
  return 0xFFFD;
}

// Greek letter without tonos or dialytika, lowercase, final sigma as sigma.
char32_t FoldGreek(char32_t cp) {
  switch (cp) {
    case 0x0386:
    case 0x03AC:
      return 0x03B1;  // Ά ά -> α
    case 0x0388:
    case 0x03AD:
      return 0x03B5;  // Έ έ -> ε
    case 0x0389:
    case 0x03AE:
      return 0x03B7;  // Ή ή -> η
    case 0x038A:
    case 0x03AF:
    case 0x0390:
    case 0x03AA:
    case 0x03CA:
      return 0x03B9;  // Ί ί ΐ Ϊ ϊ -> ι
    case 0x038C:
    case 0x03CC:
      return 0x03BF;  // Ό ό -> ο
    case 0x038E:
    case 0x03CD:
    case 0x03B0:
    case 0x03AB:
    case 0x03CB:
      return 0x03C5;  // Ύ ύ ΰ Ϋ ϋ -> υ
    case 0x038F:
    case 0x03CE:
      return 0x03C9;  // Ώ ώ -> ω
    case 0x03C2:
      return 0x03C3;  // ς -> σ
    default:
      break;
  }
  if (cp >= 0x0391 && cp <= 0x03A9) return cp + 0x20;  // Α..Ω -> α..ω
  return cp;
}

// `text` reduced to the form of the alias keys: lowercase, Latin accents and
// Greek tonos removed, Greek and Cyrillic capitals lowered, combining marks
// dropped, runs of separators as one space, none at either end.
std::string Normalize(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  const auto append = [&](absl::string_view piece) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.append(piece.data(), piece.size());
  };
  const auto append_cp = [&](char32_t cp) {
    std::string encoded;
    AppendUtf8(cp, encoded);
    append(encoded);
  };
  for (size_t pos = 0; pos < text.size();) {
    const char32_t cp = NextCodePoint(text, &pos);
    if (cp < 0x80) {
      const char c = static_cast<char>(cp);
      if (c == ' ' || c == '\t' || c == '-' || c == '_' || c == '.') {
        pending_space = true;
      } else if (c >= 'A' && c <= 'Z') {
        append_cp(cp + ('a' - 'A'));
      } else {
        append_cp(cp);
      }
    } else if (cp == 0xA0) {  // no-break space
      pending_space = true;
    } else if (cp >= 0x0300 && cp <= 0x036F) {
      // Combining diacritics, as in decomposed "Go\u0308teborg": dropped.
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      switch (cp) {
        case 0xC6:
        case 0xE6:
          append("ae");
          break;  // Æ æ
        case 0xDE:
        case 0xFE:
          append("th");
          break;  // Þ þ
        case 0xDF:
          append("ss");
          break;  // ß
        case 0xD7:
        case 0xF7:
          append_cp(cp);
          break;  // × ÷
        case 0xFF:
          append("y");
          break;  // ÿ
        default:
          append(kLatin1Base.substr(cp & 0x1F, 1));
          break;
      }
    } else if (cp >= 0x100 && cp <= 0x17F) {
      switch (cp) {
        case 0x132:
        case 0x133:
          append("ij");
          break;  // Ĳ ĳ
        case 0x152:
        case 0x153:
          append("oe");
          break;  // Œ œ
        default:
          append(kLatinExtABase.substr(cp - 0x100, 1));
          break;
      }
    } else if (cp >= 0x0386 && cp <= 0x03CE) {
      append_cp(FoldGreek(cp));
    } else if (cp >= 0x0400 && cp <= 0x040F) {  // Ѐ..Џ -> ѐ..џ
      append_cp(cp + 0x50);
    } else if (cp >= 0x0410 && cp <= 0x042F) {  // А..Я -> а..я
      append_cp(cp + 0x20);
    } else {
      append_cp(cp);
    }
  }
  return out;
}

}  // namespace

std::span<const CityZone> KnownCities() { return kCities; }

absl::StatusOr<std::string> ZoneForCity(absl::string_view city,
                                        absl::string_view field) {
  const std::string key = Normalize(city);
  if (key.empty()) {
    return internal::FieldError(
        field,
        "city is empty; give a city of the network or an IANA time zone such "
        "as \"Europe/Brussels\"");
  }
  for (const Alias& alias : kAliases) {
    if (alias.key == key) return std::string(alias.iana_zone);
  }
  if (absl::StrContains(city, '/')) {
    return internal::FieldError(
        field, absl::StrCat(internal::Quote(city),
                            " looks like a time zone, not a city; give it as "
                            "the time zone instead"));
  }
  return internal::FieldError(
      field, absl::StrCat("unknown city ", internal::Quote(city),
                          "; give an IANA time zone instead, e.g. "
                          "\"Europe/Brussels\""));
}

}  // namespace convene::core
