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
#include "core/language_tag.h"
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
  // Lifecycle notices (notice.h), in NoticeKind's order: the first line
  // after the greeting ($0 title), and the subject ($0 title).
  std::array<absl::string_view, 8> notice;
  std::array<absl::string_view, 8> notice_subject;
  // A day's line after its when_where: in person, online, on the waiting
  // list ($0 place, $1 the mode word), cancelled.
  absl::string_view day_in_person;
  absl::string_view day_online;
  absl::string_view day_waitlisted;
  absl::string_view day_cancelled;
  absl::string_view before;  // label before the old time of a moved event
  absl::string_view after;   // label before the new one
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
        .notice = {"Your registration for $0 has been cancelled.",
                   "$0 has been moved.",
                   "A place has become free: your registration for $0 is now confirmed.",
                   "Some days of your registration for $0 have been cancelled.",
                   "How you take part in $0 has changed.",
                   "Your registration for $0 is confirmed.",
                   "You are on the waiting list for $0: we will write to you as soon as a "
                   "place is free.",
                   "The venue or the online link of $0 has changed."},
        .notice_subject = {"Registration cancelled: $0", "Moved: $0", "A place for you: $0",
                           "Registration changed: $0", "Registration changed: $0",
                           "Registration confirmed: $0", "Waiting list: $0",
                           "New venue or link: $0"},
        .day_in_person = "in person",
        .day_online = "online",
        .day_waitlisted = "waiting list ($1), place $0",
        .day_cancelled = "cancelled",
        .before = "Before: ",
        .after = "Now: ",
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
        .notice = {"La Sua iscrizione a «$0» è stata annullata.",
                   "L'evento «$0» è stato spostato.",
                   "Si è liberato un posto: la Sua iscrizione a «$0» è ora confermata.",
                   "Alcune giornate della Sua iscrizione a «$0» sono state annullate.",
                   "La modalità della Sua partecipazione a «$0» è cambiata.",
                   "La Sua iscrizione a «$0» è confermata.",
                   "Lei è in lista d'attesa per «$0»: Le scriveremo appena si libera un posto.",
                   "Il luogo o il link online di «$0» è cambiato."},
        .notice_subject = {"Iscrizione annullata: $0", "Evento spostato: $0",
                           "Un posto per Lei: $0", "Iscrizione modificata: $0",
                           "Iscrizione modificata: $0", "Iscrizione confermata: $0",
                           "Lista d'attesa: $0", "Nuovo luogo o link: $0"},
        .day_in_person = "in presenza",
        .day_online = "online",
        .day_waitlisted = "lista d'attesa ($1), posizione $0",
        .day_cancelled = "annullata",
        .before = "Prima: ",
        .after = "Ora: ",
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
        .notice = {"Η εγγραφή σας στην εκδήλωση «$0» ακυρώθηκε.",
                   "Η εκδήλωση «$0» μεταφέρθηκε.",
                   "Ελευθερώθηκε θέση: η εγγραφή σας στην εκδήλωση «$0» επιβεβαιώθηκε.",
                   "Ορισμένες ημέρες της εγγραφής σας στην εκδήλωση «$0» ακυρώθηκαν.",
                   "Ο τρόπος συμμετοχής σας στην εκδήλωση «$0» άλλαξε.",
                   "Η εγγραφή σας στην εκδήλωση «$0» επιβεβαιώθηκε.",
                   "Βρίσκεστε σε λίστα αναμονής για την εκδήλωση «$0»: θα σας γράψουμε "
                   "μόλις ελευθερωθεί θέση.",
                   "Ο χώρος ή ο σύνδεσμος της εκδήλωσης «$0» άλλαξε."},
        .notice_subject = {"Ακύρωση εγγραφής: $0", "Μεταφορά: $0", "Μια θέση για εσάς: $0",
                           "Αλλαγή εγγραφής: $0", "Αλλαγή εγγραφής: $0",
                           "Επιβεβαίωση εγγραφής: $0", "Λίστα αναμονής: $0",
                           "Νέος χώρος ή σύνδεσμος: $0"},
        .day_in_person = "δια ζώσης",
        .day_online = "διαδικτυακά",
        .day_waitlisted = "λίστα αναμονής ($1), θέση $0",
        .day_cancelled = "ακυρώθηκε",
        .before = "Πριν: ",
        .after = "Τώρα: ",
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
        .notice = {"Регистрацията Ви за „$0“ е отменена.",
                   "Събитието „$0“ е преместено.",
                   "Освободи се място: регистрацията Ви за „$0“ вече е потвърдена.",
                   "Някои дни от регистрацията Ви за „$0“ са отменени.",
                   "Начинът на участието Ви в „$0“ е променен.",
                   "Регистрацията Ви за „$0“ е потвърдена.",
                   "Вие сте в списъка с чакащи за „$0“: ще Ви пишем, щом се освободи място.",
                   "Мястото или онлайн връзката за „$0“ са променени."},
        .notice_subject = {"Отменена регистрация: $0", "Преместено: $0", "Място за Вас: $0",
                           "Променена регистрация: $0", "Променена регистрация: $0",
                           "Потвърдена регистрация: $0", "Списък с чакащи: $0",
                           "Ново място или връзка: $0"},
        .day_in_person = "присъствено",
        .day_online = "онлайн",
        .day_waitlisted = "списък с чакащи ($1), място $0",
        .day_cancelled = "отменен",
        .before = "Преди: ",
        .after = "Сега: ",
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
        .notice = {"Votre inscription à «\u00a0$0\u00a0» a été annulée.",
                   "«\u00a0$0\u00a0» a été déplacé.",
                   "Une place s'est libérée\u00a0: votre inscription à «\u00a0$0\u00a0» est "
                   "maintenant confirmée.",
                   "Certains jours de votre inscription à «\u00a0$0\u00a0» ont été annulés.",
                   "Votre mode de participation à «\u00a0$0\u00a0» a changé.",
                   "Votre inscription à «\u00a0$0\u00a0» est confirmée.",
                   "Vous êtes sur la liste d'attente pour «\u00a0$0\u00a0»\u00a0: nous vous "
                   "écrirons dès qu'une place se libère.",
                   "Le lieu ou le lien en ligne de «\u00a0$0\u00a0» a changé."},
        .notice_subject = {"Inscription annulée\u00a0: $0", "Déplacé\u00a0: $0",
                           "Une place pour vous\u00a0: $0", "Inscription modifiée\u00a0: $0",
                           "Inscription modifiée\u00a0: $0", "Inscription confirmée\u00a0: $0",
                           "Liste d'attente\u00a0: $0", "Nouveau lieu ou lien\u00a0: $0"},
        .day_in_person = "en présentiel",
        .day_online = "en ligne",
        .day_waitlisted = "liste d'attente ($1), place $0",
        .day_cancelled = "annulé",
        .before = "Avant\u00a0: ",
        .after = "Maintenant\u00a0: ",
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
        .notice = {"Ihre Anmeldung zu „$0“ wurde storniert.",
                   "„$0“ wurde verlegt.",
                   "Ein Platz ist frei geworden: Ihre Anmeldung zu „$0“ ist jetzt bestätigt.",
                   "Einige Tage Ihrer Anmeldung zu „$0“ wurden storniert.",
                   "Die Art Ihrer Teilnahme an „$0“ hat sich geändert.",
                   "Ihre Anmeldung zu „$0“ ist bestätigt.",
                   "Sie stehen auf der Warteliste für „$0“: Wir schreiben Ihnen, sobald ein "
                   "Platz frei wird.",
                   "Der Ort oder der Online-Link von „$0“ hat sich geändert."},
        .notice_subject = {"Anmeldung storniert: $0", "Verlegt: $0", "Ein Platz für Sie: $0",
                           "Anmeldung geändert: $0", "Anmeldung geändert: $0",
                           "Anmeldung bestätigt: $0", "Warteliste: $0",
                           "Neuer Ort oder Link: $0"},
        .day_in_person = "vor Ort",
        .day_online = "online",
        .day_waitlisted = "Warteliste ($1), Platz $0",
        .day_cancelled = "storniert",
        .before = "Vorher: ",
        .after = "Jetzt: ",
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
        .notice = {"Uw inschrijving voor “$0” is geannuleerd.",
                   "“$0” is verplaatst.",
                   "Er is een plaats vrijgekomen: uw inschrijving voor “$0” is nu bevestigd.",
                   "Enkele dagen van uw inschrijving voor “$0” zijn geannuleerd.",
                   "De manier waarop u deelneemt aan “$0” is gewijzigd.",
                   "Uw inschrijving voor “$0” is bevestigd.",
                   "U staat op de wachtlijst voor “$0”: we schrijven u zodra er een plaats "
                   "vrijkomt.",
                   "De locatie of de onlinelink van “$0” is gewijzigd."},
        .notice_subject = {"Inschrijving geannuleerd: $0", "Verplaatst: $0",
                           "Een plaats voor u: $0", "Inschrijving gewijzigd: $0",
                           "Inschrijving gewijzigd: $0", "Inschrijving bevestigd: $0",
                           "Wachtlijst: $0", "Nieuwe locatie of link: $0"},
        .day_in_person = "ter plaatse",
        .day_online = "online",
        .day_waitlisted = "wachtlijst ($1), plaats $0",
        .day_cancelled = "geannuleerd",
        .before = "Eerder: ",
        .after = "Nu: ",
    },
};

const LanguageText& FindLanguage(absl::string_view tag) {
  const std::string primary = PrimaryLanguageOf(tag);
  for (const LanguageText& language : kLanguages) {
    if (primary == language.tag) return language;
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

// The zone of the person reading: theirs, else the venue's, else UTC.
Zone ReaderZone(const ReminderMessageInput& input) {
  if (absl::StatusOr<Zone> z = ResolveZone(input.participant_time_zone); z.ok()) return *z;
  if (absl::StatusOr<Zone> z = ResolveZone(input.venue_time_zone); z.ok()) return *z;
  return UtcZone();
}

// `lead` before `starts`, phrased for someone on `reader`'s clock.
std::string Lead(const LanguageText& text, absl::Duration lead, const Zone& reader,
                 absl::Time starts) {
  // Truncating: 45.5 minutes ahead still reads "in 45 minutes".
  const int64_t minutes = absl::ToInt64Minutes(lead);
  if (minutes <= 0) return std::string(text.now);
  const Counted* unit = &text.minutes;
  int64_t count = minutes;
  // Days are the reader's dates: a DST change between the two instants can
  // make 24 hours span two dates or none, and "tomorrow" would then send
  // them a day early or late. Hours say it exactly.
  const bool whole_dates =
      absl::CivilDay(ToZoned(reader, starts).local) -
          absl::CivilDay(ToZoned(reader, starts - lead).local) ==
      minutes / (24 * 60);
  if (lead % absl::Hours(24) == absl::ZeroDuration() && whole_dates) {
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

// "15 March 2022, 09:30 in Thessaloniki (08:30 your time, Europe/Rome)"
// for `at`; `venue_date` gets the venue's date alone.
std::string WhenWhere(const ReminderMessageInput& input, const LanguageText& text, absl::Time at,
                      std::string* venue_date = nullptr) {
  absl::StatusOr<Zone> venue_zone = ResolveZone(input.venue_time_zone);
  const Zone venue = venue_zone.ok() ? *venue_zone : UtcZone();
  absl::StatusOr<Zone> participant_zone =
      ResolveZone(input.participant_time_zone);
  const Zone participant = participant_zone.ok() ? *participant_zone : venue;

  const absl::CivilSecond at_venue = ToZoned(venue, at).local;
  const std::string date = FormatDate(text, at_venue);
  if (venue_date != nullptr) *venue_date = date;
  std::string out = absl::Substitute(
      text.when_where, date, FormatTime(at_venue),
      InPlace(text,
              input.venue_city.empty() ? venue.name() : input.venue_city));
  if (participant.name() != venue.name()) {
    const absl::CivilSecond theirs = ToZoned(participant, at).local;
    absl::StrAppend(
        &out, " ",
        absl::CivilDay(theirs) == absl::CivilDay(at_venue)
            ? absl::Substitute(text.yours, FormatTime(theirs),
                               participant.name())
            : absl::Substitute(text.yours_dated, FormatTime(theirs),
                               FormatDate(text, theirs), participant.name()));
  }
  return out;
}

Common RenderCommon(const ReminderMessageInput& input) {
  Common out;
  out.text = &FindLanguage(input.language);
  const LanguageText& text = *out.text;
  out.when_where = WhenWhere(input, text, input.starts, &out.venue_date);

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
                                          Lead(text, input.lead, ReaderZone(input), input.starts),
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

RenderedMessage RenderNotice(const NoticeMessageInput& input) {
  Common common = RenderCommon(input.message);
  const LanguageText& text = *common.text;
  const size_t kind = static_cast<size_t>(input.kind);
  common.lines.push_back(absl::Substitute(text.notice[kind], input.message.event_title));
  if (input.kind == NoticeKind::kRescheduled && input.previous_start != absl::InfinitePast() &&
      input.previous_start != input.message.starts) {
    common.lines.push_back(
        absl::StrCat(text.before, WhenWhere(input.message, text, input.previous_start)));
    common.lines.push_back(absl::StrCat(text.after, common.when_where));
  }
  bool in_person = false, online = false;
  for (const NoticeDay& d : input.days) {
    const absl::string_view mode_word =
        d.mode == AttendanceMode::kOnline ? text.day_online : text.day_in_person;
    std::string what;
    switch (d.status) {
      case RegistrationStatus::kCancelled:
        what = std::string(text.day_cancelled);
        break;
      case RegistrationStatus::kWaitlisted:
        what = absl::Substitute(text.day_waitlisted, d.waitlist_position, mode_word);
        // The place is known from the registration's own change; a day put
        // on the list by another change says only where it waits.
        if (d.waitlist_position <= 0) what = what.substr(0, what.find(')') + 1);
        break;
      default:
        what = std::string(mode_word);
        (d.mode == AttendanceMode::kOnline ? online : in_person) = true;
    }
    common.lines.push_back(absl::StrCat(WhenWhere(input.message, text, d.starts), ": ", what));
  }
  ReminderMessageInput where = input.message;
  if (in_person) {
    where.mode = AttendanceMode::kInPerson;
    AddWhereLine(where, text, common.lines);
  }
  if (online) {
    where.mode = AttendanceMode::kOnline;
    AddWhereLine(where, text, common.lines);
  }
  return RenderedMessage{std::string(text.tag),
                         absl::Substitute(text.notice_subject[kind], input.message.event_title),
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
