// The command tree of `convene` and a small parser for it: subcommands by
// name, then options (--name=value, --name value, --switch) and positional
// arguments. '-' and '_' are the same in option names (--max-updates ==
// --max_updates). Global options may appear anywhere on the line.
//
//   Command create = Leaf("create", "Create an event", "",
//                         {{"title", "TEXT", "1-200 chars"}},
//                         [](Context& ctx, Args& args) { ...; return 0; });
//   // convene events create --title='CoP1 3rd workshop'
//   args.Get("title");  // "CoP1 3rd workshop"
//
// Values are parsed by typed getters (Int, Enum, ...) that record what was
// wrong instead of failing at once; a command checks args.ok() after reading
// them all and returns ctx.Usage(args), exit code 2.
#ifndef CONVENE_CLIENTS_CLI_COMMAND_LINE_H_
#define CONVENE_CLIENTS_CLI_COMMAND_LINE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/generated_enum_reflection.h"

namespace convene::cli {

class Context;

// One option of a command.
struct OptionSpec {
  OptionSpec(std::string name, std::string value_name, std::string help, bool repeated = false,
             std::string alias = "")
      : name(std::move(name)),
        value_name(std::move(value_name)),
        help(std::move(help)),
        repeated(repeated),
        alias(std::move(alias)) {}

  std::string name;        // "title", written --title
  std::string value_name;  // "TEXT"; empty for a switch (--allow_walk_ins)
  std::string help;
  bool repeated;      // may be given several times
  std::string alias;  // another spelling ("tz-of-venue")
};

class Args;

// A node of the command tree: a group of subcommands, or a command.
struct Command {
  std::string name;
  std::string summary;
  // Positional arguments, e.g. "EVENT_ID PARTICIPANT_ID"; "[X]" is optional.
  std::string positionals;
  std::vector<OptionSpec> options;
  // More help text: formats, examples.
  std::string details;
  // Runs the command; returns the exit code. Empty for groups.
  std::function<int(Context&, Args&)> run;
  std::vector<Command> children;
};

using RunFunction = std::function<int(Context&, Args&)>;
// A command that runs.
Command Leaf(std::string name, std::string summary, std::string positionals,
             std::vector<OptionSpec> options, RunFunction run, std::string details = "");
// A group of subcommands.
Command Group(std::string name, std::string summary, std::vector<Command> children,
              std::string details = "");

// What the line gave one command, with typed getters that collect errors.
class Args {
 public:
  Args(std::string command_path, std::map<std::string, std::vector<std::string>> values,
       std::vector<std::string> positionals)
      : command_path_(std::move(command_path)),
        values_(std::move(values)),
        positionals_(std::move(positionals)) {}

  // "convene events create".
  const std::string& command_path() const { return command_path_; }

  bool Has(const std::string& name) const { return values_.contains(name); }
  // The last value given, or `fallback`.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Every value given, in order.
  std::vector<std::string> All(const std::string& name) const;
  // The i-th positional argument, or "" when absent.
  std::string Positional(size_t i) const { return i < positionals_.size() ? positionals_[i] : ""; }

  // A switch: absent false, "--x" true, "--x=false" false.
  bool Bool(const std::string& name);
  // A whole number, or `fallback` when absent.
  int64_t Int(const std::string& name, int64_t fallback = 0);
  // An enum value written as the end of its name in lower case:
  // "in_person" for ATTENDANCE_MODE_IN_PERSON. Absent: `fallback`.
  template <typename E>
  E Enum(const std::string& name, E fallback) {
    if (!Has(name)) return fallback;
    return static_cast<E>(ParseEnum(name, Get(name), google::protobuf::GetEnumDescriptor<E>(),
                                    static_cast<int>(fallback)));
  }
  int ParseEnum(const std::string& option, const std::string& text,
                const google::protobuf::EnumDescriptor* type, int fallback);

  // Records a usage error about this command's arguments.
  void Error(std::string message) { errors_.push_back(std::move(message)); }
  bool ok() const { return errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string command_path_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  std::vector<std::string> errors_;
};

// The enum value's short name: ATTENDANCE_MODE_IN_PERSON -> "in_person".
std::string EnumToken(const google::protobuf::EnumDescriptor* type, int value);
// For people: "in person".
template <typename E>
std::string EnumLabel(E value) {
  return absl::StrReplaceAll(EnumToken(google::protobuf::GetEnumDescriptor<E>(), value),
                             {{"_", " "}});
}
// "in_person|online".
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

// The outcome of reading the whole command line.
struct ParsedLine {
  // The command to run, or the group/command whose help to show.
  const Command* command = nullptr;
  std::string path;  // "convene events create"
  bool help = false;
  // Non-empty: a usage error (exit 2); `command` is where it happened.
  std::string error;
  std::map<std::string, std::vector<std::string>> globals;
  std::map<std::string, std::vector<std::string>> options;
  std::vector<std::string> positionals;
};

// Walks `argv` (without the program name) down `root`, taking `globals`
// wherever they appear.
ParsedLine ParseLine(const Command& root, const std::vector<OptionSpec>& globals,
                     const std::vector<std::string>& argv);

// Help text of a node: usage line, summary, subcommands or options.
std::string HelpText(const Command& node, const std::string& path,
                     const std::vector<OptionSpec>& globals, bool is_root);

// Short usage (for errors): "Usage: convene events create [options]" and a
// pointer to --help.
std::string UsageHint(const Command& node, const std::string& path);

}  // namespace convene::cli

#endif  // CONVENE_CLIENTS_CLI_COMMAND_LINE_H_
