// AgendaCache: agendas built lately, by (event, viewer zone), each kept with
// the stored document it was built from. GetAgenda reads the document anyway
// (one HGET); when it is byte for byte the one an agenda was built from, the
// agenda is answered from here, without decoding the event or converting its
// times into two zones again. A changed event has a changed document
// (revision, update time), so nothing stale is ever answered, and the cache
// needs no invalidation. Zone rules are fixed for the process's life (the
// tzdata it loaded), the only other input of an agenda.
//
// Each agenda is kept with its encoded convene.v1.Agenda too, so a repeated
// GetAgenda sends those bytes as they are.
//
//   AgendaCache cache;
//   if (std::shared_ptr<const AgendaAnswer> a = cache.Find(id, zone, doc)) ...
//   cache.Put(id, zone, doc, answer);
//
// Bounded: when full, the whole cache is dropped and refills with what is
// asked for (the working set is the events people look at now). Thread-safe.
#ifndef CONVENE_CALENDAR_AGENDA_CACHE_H_
#define CONVENE_CALENDAR_AGENDA_CACHE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "core/agenda.h"

namespace convene::calendar {

// An agenda as GetAgenda answers it: the domain agenda and its wire form.
struct AgendaAnswer {
  core::Agenda agenda;
  std::string response;  // the encoded convene.v1.Agenda
};

class AgendaCache {
 public:
  explicit AgendaCache(size_t capacity = 2048) : capacity_(capacity) {}

  // The agenda of `event_id` for `viewer_zone` ("" for the venue's) built
  // from exactly `document`, if kept.
  std::shared_ptr<const AgendaAnswer> Find(const std::string& event_id,
                                           const std::string& viewer_zone,
                                           const std::string& document) const;

  void Put(const std::string& event_id, const std::string& viewer_zone, std::string document,
           std::shared_ptr<const AgendaAnswer> answer);

  size_t size() const;

 private:
  struct Entry {
    std::string document;
    std::shared_ptr<const AgendaAnswer> answer;
  };
  const size_t capacity_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::pair<std::string, std::string>, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_AGENDA_CACHE_H_
