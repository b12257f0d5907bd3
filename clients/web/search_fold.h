#ifndef CONVENE_CLIENTS_WEB_SEARCH_FOLD_H_
#define CONVENE_CLIENTS_WEB_SEARCH_FOLD_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::web {

// `text` as the desk's search compares it: lower case and without accents,
// in the scripts the network's names are written in (Latin with its
// Western, Central European and Romanian letters, Greek with its tonos and
// final sigma, Cyrillic), so that "ζωη" finds "Ζωή", "eloise" finds
// "Éloïse" and "иван" finds "Иван". Combining marks are dropped; other
// characters, and bytes that are not UTF-8, are kept as they are.
std::string FoldForSearch(absl::string_view text);

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_SEARCH_FOLD_H_
