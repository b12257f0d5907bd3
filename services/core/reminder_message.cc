#include "core/reminder_message.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/substitute.h"
#include "absl/time/civil_time.h"
#include "core/transition_table_zone.h"
#include "core/zoned_rendering.h"

namespace convene::core {
namespace {

// A noun after a count. Every count a lead can produce is at least 1, and
// for those all seven languages need only two forms: the singular for 1 and
// one form for the rest (Bulgarian's count form "часа", "дни" included).
struct Counted {
  absl::string_view one;
  absl::string_view other;
};

// Everything that differs between languages. Templates use
// absl::Substitute's $0..$n; the comment on each field says what they are.
// Messages address one participant formally (Lei, vous, Sie, u, εσείς,
// Вие), and greetings are ones that do not depend on the reader's gender.
struct LanguageText {
  absl::string_view tag;
  std::array<absl::string_view, 12> months;  // in the case a date needs
  absl::string_view first_of_month;          // day 1 as an ordinal; empty: "1"
  absl::string_view date;                    // $0 day, $1 month, $2 year
  absl::string_view greeting_named;          // $0 recipient
  absl::string_view greeting;
  // $0 date, $1 HH:MM, $2 place: when and where, at the venue.
  absl::string_view when_where;
  absl::string_view in_place;    // $0 city or zone name
  absl::string_view in_place_v;  // bg only: before a v/f sound; else empty
  // The participant's clock: $0 HH:MM, $1 zone; with a date: $0 HH:MM,
  // $1 date, $2 zone.
  absl::string_view yours;
  absl::string_view yours_dated;
  absl::string_view now;
  absl::string_view tomorrow;
  absl::string_view in_duration;  // $0 e.g. "7 days"
  Counted days;
  Counted hours;
  Counted minutes;
  absl::string_view starts;             // $0 title, $1 lead, $2 when_where
  absl::string_view cancelled;          // $0 title, $1 when_where
  absl::string_view first_session;      // $0 session title
  absl::string_view venue;              // label before "name, address"
  absl::string_view online;             // label before "platform, link"
  absl::string_view reason;             // label before the reason
  absl::string_view reminder_subject;   // $0 title, $1 date
  absl::string_view cancelled_subject;  // $0 title
};

// English first: it is also the fallback.
constexpr LanguageText kLanguages[] = {
    {
        .tag = "en",
        .months = {"January", "February", "March", "April", "May", "June",
                   "July", "August", "September", "October", "November",
                   "December"},
        .first_of_month = "",
        .date = "$0 $1 $2",
        .greeting_named = "Dear $0,",
        .greeting = "Hello,",
        .when_where = "$0, $1 $2",
        .in_place = "in $0",
        .in_place_v = "",
        .yours = "($0 your time, $1)",
        .yours_dated = "($0 on $1 your time, $2)",
        .now = "now",
        .tomorrow = "tomorrow",
        .in_duration = "in $0",
        .days = {"day", "days"},
        .hours = {"hour", "hours"},
        .minutes = {"minute", "minutes"},
        .starts = "$0 starts $1, $2.",
        .cancelled = "$0, planned for $1, has been cancelled.",
        .first_session = "First session: $0",
        .venue = "Venue: ",
        .online = "Join online: ",
        .reason = "Reason: ",
        .reminder_subject = "Reminder: $0, $1",
        .cancelled_subject = "Cancelled: $0",
    },
    {
        .tag = "it",
        .months = {"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
                   "luglio", "agosto", "settembre", "ottobre", "novembre",
                   "dicembre"},
        .first_of_month = "1º",
        .date = "$0 $1 $2",
        .greeting_named = "Gentile $0,",
        .greeting = "Buongiorno,",
        .when_where = "$0, alle $1 $2",
        .in_place = "a $0",
        .in_place_v = "",
        .yours = "(per Lei alle $0, $1)",
        .yours_dated = "(per Lei il $1 alle $0, $2)",
        .now = "adesso",
        .tomorrow = "domani",
        .in_duration = "tra $0",
        .days = {"giorno", "giorni"},
        .hours = {"ora", "ore"},
        .minutes = {"minuto", "minuti"},
        .starts = "$0 inizia $1, $2.",
        .cancelled = "L'evento «$0», previsto per il $1, è stato annullato.",
        .first_session = "Prima sessione: $0",
        .venue = "Luogo: ",
        .online = "Partecipazione online: ",
        .reason = "Motivo: ",
        .reminder_subject = "Promemoria: $0, $1",
        .cancelled_subject = "Annullato: $0",
    },
    {
        .tag = "el",
        // Genitive, as dates need: "15 Μαρτίου".
        .months = {"Ιανουαρίου", "Φεβρουαρίου", "Μαρτίου", "Απριλίου", "Μαΐου",
                   "Ιουνίου", "Ιουλίου", "Αυγούστου", "Σεπτεμβρίου",
                   "Οκτωβρίου", "Νοεμβρίου", "Δεκεμβρίου"},
        .first_of_month = "",
        .date = "$0 $1 $2",
        .greeting_named = "Γεια σας, $0,",
        .greeting = "Γεια σας,",
        .when_where = "$0, στις $1 $2",
        // A city needs an article of its own gender ("στη Θεσσαλονίκη",
        // "στο Τορίνο"), which a name from the data does not tell; "the city
        // of" takes the feminine article of πόλη for any name.
        .in_place = "στην πόλη $0",
        .in_place_v = "",
        .yours = "(για εσάς στις $0, $1)",
        .yours_dated = "(για εσάς στις $1 και ώρα $0, $2)",
        .now = "τώρα",
        .tomorrow = "αύριο",
        .in_duration = "σε $0",
        .days = {"ημέρα", "ημέρες"},
        .hours = {"ώρα", "ώρες"},
        .minutes = {"λεπτό", "λεπτά"},
        .starts = "$0 ξεκινά $1, $2.",
        .cancelled = "Η εκδήλωση «$0», που είχε προγραμματιστεί για τις $1, "
                     "ακυρώθηκε.",
        .first_session = "Πρώτη συνεδρία: $0",
        .venue = "Χώρος: ",
        .online = "Διαδικτυακή συμμετοχή: ",
        .reason = "Αιτία: ",
        .reminder_subject = "Υπενθύμιση: $0, $1",
        .cancelled_subject = "Ακυρώθηκε: $0",
    },
    {
        .tag = "bg",
        .months = {"януари", "февруари", "март", "април", "май", "юни", "юли",
                   "август", "септември", "октомври", "ноември", "декември"},
        .first_of_month = "",
        .date = "$0 $1 $2 г.",
        .greeting_named = "Здравейте, $0,",
        .greeting = "Здравейте,",
        .when_where = "$0, в $1 ч. $2",
        .in_place = "в $0",
        .in_place_v = "във $0",
        .yours = "(в $0 ч. Ваше време, $1)",
        .yours_dated = "(на $1 в $0 ч. Ваше време, $2)",
        .now = "сега",
        .tomorrow = "утре",
        .in_duration = "след $0",
        .days = {"ден", "дни"},
        .hours = {"час", "часа"},
        .minutes = {"минута", "минути"},
        .starts = "$0 започва $1, $2.",
        .cancelled = "Събитието „$0“, насрочено за $1, е отменено.",
        .first_session = "Първа сесия: $0",
        .venue = "Място: ",
        .online = "Онлайн участие: ",
        .reason = "Причина: ",
        .reminder_subject = "Напомняне: $0, $1",
        .cancelled_subject = "Отменено: $0",
    },
    {
        .tag = "fr",
        .months = {"janvier", "février", "mars", "avril", "mai", "juin",
                   "juillet", "août", "septembre", "octobre", "novembre",
                   "décembre"},
        .first_of_month = "1er",
        .date = "$0 $1 $2",
        .greeting_named = "Bonjour $0,",
        .greeting = "Bonjour,",
        .when_where = "$0 à $1 $2",
        .in_place = "à $0",
        .in_place_v = "",
        .yours = "($0 chez vous, $1)",
        .yours_dated = "(le $1 à $0 chez vous, $2)",
        .now = "maintenant",
        .tomorrow = "demain",
        .in_duration = "dans $0",
        .days = {"jour", "jours"},
        .hours = {"heure", "heures"},
        .minutes = {"minute", "minutes"},
        .starts = "$0 commence $1, le $2.",
        // French puts a no-break space before ':' and inside « ».
        .cancelled = "L'événement «\u00a0$0\u00a0», prévu le $1, est annulé.",
        .first_session = "Première session\u00a0: $0",
        .venue = "Lieu\u00a0: ",
        .online = "Participation en ligne\u00a0: ",
        .reason = "Motif\u00a0: ",
        .reminder_subject = "Rappel\u00a0: $0, $1",
        .cancelled_subject = "Annulé\u00a0: $0",
    },
    {
        .tag = "de",
        .months = {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
                   "August", "September", "Oktober", "November", "Dezember"},
        .first_of_month = "",
        .date = "$0. $1 $2",
        .greeting_named = "Hallo $0,",
        .greeting = "Guten Tag,",
        .when_where = "$0 um $1 Uhr $2",
        .in_place = "in $0",
        .in_place_v = "",
        .yours = "(bei Ihnen $0 Uhr, $1)",
        .yours_dated = "(bei Ihnen am $1 um $0 Uhr, $2)",
        .now = "jetzt",
        .tomorrow = "morgen",
        .in_duration = "in $0",
        .days = {"Tag", "Tagen"},  // dative after "in"
        .hours = {"Stunde", "Stunden"},
        .minutes = {"Minute", "Minuten"},
        .starts = "$0 beginnt $1, am $2.",
        .cancelled = "Die Veranstaltung „$0“ am $1 wurde abgesagt.",
        .first_session = "Erste Sitzung: $0",
        .venue = "Ort: ",
        .online = "Online-Teilnahme: ",
        .reason = "Grund: ",
        .reminder_subject = "Erinnerung: $0, $1",
        .cancelled_subject = "Abgesagt: $0",
    },
    {
        .tag = "nl",
        .months = {"januari", "februari", "maart", "april", "mei", "juni",
                   "juli", "augustus", "september", "oktober", "november",
                   "december"},
        .first_of_month = "",
        .date = "$0 $1 $2",
        .greeting_named = "Beste $0,",
        .greeting = "Beste deelnemer,",
        .when_where = "$0 om $1 $2",
        .in_place = "in $0",
        .in_place_v = "",
        .yours = "(bij u om $0, $1)",
        .yours_dated = "(bij u op $1 om $0, $2)",
        .now = "nu",
        .tomorrow = "morgen",
        .in_duration = "over $0",
        .days = {"dag", "dagen"},
        .hours = {"uur", "uur"},  // "over 2 uur": uur stays after a count
        .minutes = {"minuut", "minuten"},
        .starts = "$0 begint $1, op $2.",
        .cancelled = "Het evenement “$0” op $1 is geannuleerd.",
        .first_session = "Eerste sessie: $0",
        .venue = "Locatie: ",
        .online = "Online deelnemen: ",
        .reason = "Reden: ",
        .reminder_subject = "Herinnering: $0, $1",
        .cancelled_subject = "Geannuleerd: $0",
    },
};

const LanguageText& FindLanguage(absl::string_view tag) {
  // "it-IT", "it_IT" (POSIX locales) and "IT" all mean Italian.
  const absl::string_view primary = tag.substr(0, tag.find_first_of("-_"));
  for (const LanguageText& language : kLanguages) {
    if (absl::EqualsIgnoreCase(primary, language.tag)) return language;
  }
  return kLanguages[0];
}

// UTC needs no rules from the tz database, so this works even when the
// database cannot be read (which is also when the venue's zone fails).
const Zone& UtcZone() {
  // The arguments are valid, so the StatusOr always holds a zone.
  static const Zone* const utc = new Zone(*MakeTransitionTableZone(
      "Etc/UTC", ZoneOffset{absl::ZeroDuration(), false, "UTC"}, {}));
  return *utc;
}

std::string FormatDate(const LanguageText& text, absl::CivilSecond local) {
  const std::string day = local.day() == 1 && !text.first_of_month.empty()
                              ? std::string(text.first_of_month)
                              : absl::StrCat(local.day());
  return absl::Substitute(text.date, day, text.months[local.month() - 1],
                          local.year());
}

std::string FormatTime(absl::CivilSecond local) {
  return absl::StrFormat("%02d:%02d", local.hour(), local.minute());
}

std::string InPlace(const LanguageText& text, absl::string_view place) {
  // Bulgarian "в" becomes "във" before a v or f sound: "във Варна".
  if (!text.in_place_v.empty()) {
    for (absl::string_view start :
         {"в", "В", "ф", "Ф", "v", "V", "f", "F", "w", "W"}) {
      if (absl::StartsWith(place, start)) {
        return absl::Substitute(text.in_place_v, place);
      }
    }
  }
  return absl::Substitute(text.in_place, place);
}

std::string Lead(const LanguageText& text, absl::Duration lead) {
  // Truncating: 45.5 minutes ahead still reads "in 45 minutes".
  const int64_t minutes = absl::ToInt64Minutes(lead);
  if (minutes <= 0) return std::string(text.now);
  const Counted* unit = &text.minutes;
  int64_t count = minutes;
  if (lead % absl::Hours(24) == absl::ZeroDuration()) {
    if (lead == absl::Hours(24)) return std::string(text.tomorrow);
    unit = &text.days;
    count = minutes / (24 * 60);
  } else if (lead % absl::Hours(1) == absl::ZeroDuration()) {
    unit = &text.hours;
    count = minutes / 60;
  }
  return absl::Substitute(
      text.in_duration,
      absl::StrCat(count, " ", count == 1 ? unit->one : unit->other));
}

// The parts of a message that reminders and cancellations share.
struct Common {
  const LanguageText* text;
  std::string venue_date;
  std::string when_where;  // with the participant's clock when it differs
  std::vector<std::string> lines;  // starting with the greeting
};

Common RenderCommon(const ReminderMessageInput& input) {
  Common out;
  out.text = &FindLanguage(input.language);
  const LanguageText& text = *out.text;

  absl::StatusOr<Zone> venue_zone = ResolveZone(input.venue_time_zone);
  const Zone venue = venue_zone.ok() ? *venue_zone : UtcZone();
  absl::StatusOr<Zone> participant_zone =
      ResolveZone(input.participant_time_zone);
  const Zone participant = participant_zone.ok() ? *participant_zone : venue;

  const absl::CivilSecond at_venue = ToZoned(venue, input.starts).local;
  out.venue_date = FormatDate(text, at_venue);
  out.when_where = absl::Substitute(
      text.when_where, out.venue_date, FormatTime(at_venue),
      InPlace(text,
              input.venue_city.empty() ? venue.name() : input.venue_city));
  if (participant.name() != venue.name()) {
    const absl::CivilSecond theirs = ToZoned(participant, input.starts).local;
    absl::StrAppend(
        &out.when_where, " ",
        absl::CivilDay(theirs) == absl::CivilDay(at_venue)
            ? absl::Substitute(text.yours, FormatTime(theirs),
                               participant.name())
            : absl::Substitute(text.yours_dated, FormatTime(theirs),
                               FormatDate(text, theirs), participant.name()));
  }

  out.lines.push_back(
      input.recipient_name.empty()
          ? std::string(text.greeting)
          : absl::Substitute(text.greeting_named, input.recipient_name));
  return out;
}

// "label: a, b" with the empty parts left out; nothing if both are empty.
void AddListLine(absl::string_view label, absl::string_view a,
                 absl::string_view b, std::vector<std::string>& lines) {
  std::vector<absl::string_view> parts;
  if (!a.empty()) parts.push_back(a);
  if (!b.empty()) parts.push_back(b);
  if (!parts.empty())
    lines.push_back(absl::StrCat(label, absl::StrJoin(parts, ", ")));
}

void AddWhereLine(const ReminderMessageInput& input, const LanguageText& text,
                  std::vector<std::string>& lines) {
  if (input.mode == AttendanceMode::kOnline) {
    AddListLine(text.online, input.platform, input.join_url, lines);
  } else {
    AddListLine(text.venue, input.venue_name, input.venue_address, lines);
  }
}

}  // namespace

RenderedMessage RenderReminder(const ReminderMessageInput& input) {
  Common common = RenderCommon(input);
  const LanguageText& text = *common.text;
  common.lines.push_back(absl::Substitute(text.starts, input.event_title,
                                          Lead(text, input.lead),
                                          common.when_where));
  if (!input.session_title.empty()) {
    common.lines.push_back(
        absl::Substitute(text.first_session, input.session_title));
  }
  AddWhereLine(input, text, common.lines);
  return RenderedMessage{std::string(text.tag),
                         absl::Substitute(text.reminder_subject,
                                          input.event_title, common.venue_date),
                         absl::StrJoin(common.lines, "\n")};
}

RenderedMessage RenderCancellationNotice(const ReminderMessageInput& input,
                                         const std::string& reason) {
  Common common = RenderCommon(input);
  const LanguageText& text = *common.text;
  common.lines.push_back(
      absl::Substitute(text.cancelled, input.event_title, common.when_where));
  if (!reason.empty())
    common.lines.push_back(absl::StrCat(text.reason, reason));
  return RenderedMessage{
      std::string(text.tag),
      absl::Substitute(text.cancelled_subject, input.event_title),
      absl::StrJoin(common.lines, "\n")};
}

const std::vector<std::string>& SupportedReminderLanguages() {
  static const std::vector<std::string>* const tags = [] {
    auto* v = new std::vector<std::string>;
    for (const LanguageText& language : kLanguages) {
      v->emplace_back(language.tag);
    }
    return v;
  }();
  return *tags;
}

}  // namespace convene::core
