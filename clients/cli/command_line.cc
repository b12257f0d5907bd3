#include "command_line.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace convene::cli {
namespace {

std::string Normalize(absl::string_view name) { return absl::StrReplaceAll(name, {{"-", "_"}}); }

const OptionSpec* FindOption(const std::vector<OptionSpec>& specs, const std::string& name) {
  for (const OptionSpec& spec : specs) {
    if (Normalize(spec.name) == name || (!spec.alias.empty() && Normalize(spec.alias) == name)) {
      return &spec;
    }
  }
  return nullptr;
}

const Command* FindChild(const Command& group, const std::string& name) {
  for (const Command& child : group.children) {
    if (child.name == name) return &child;
  }
  return nullptr;
}

// "ATTENDANCE_MODE_" for AttendanceMode: the name of value 0 without
// "UNSPECIFIED".
std::string EnumPrefix(const google::protobuf::EnumDescriptor* type) {
  const google::protobuf::EnumValueDescriptor* zero = type->FindValueByNumber(0);
  if (zero == nullptr) return "";
  return std::string(absl::StripSuffix(zero->name(), "UNSPECIFIED"));
}

std::string OptionUsage(const OptionSpec& spec) {
  std::string text = absl::StrCat("--", spec.name);
  if (!spec.value_name.empty()) absl::StrAppend(&text, "=", spec.value_name);
  return text;
}

void AppendOptionList(std::string& out, const std::vector<OptionSpec>& specs) {
  size_t width = 0;
  for (const OptionSpec& spec : specs) width = std::max(width, OptionUsage(spec).size());
  width = std::min<size_t>(width, 30);
  for (const OptionSpec& spec : specs) {
    std::string usage = OptionUsage(spec);
    std::string help = spec.help;
    if (spec.repeated) absl::StrAppend(&help, " (repeatable)");
    if (!spec.alias.empty()) absl::StrAppend(&help, " (also --", spec.alias, ")");
    if (usage.size() > width) {
      absl::StrAppend(&out, "  ", usage, "\n", std::string(width + 4, ' '), help, "\n");
    } else {
      absl::StrAppend(&out, "  ", usage, std::string(width - usage.size() + 2, ' '), help, "\n");
    }
  }
}

}  // namespace

Command Leaf(std::string name, std::string summary, std::string positionals,
             std::vector<OptionSpec> options, RunFunction run, std::string details) {
  Command command;
  command.name = std::move(name);
  command.summary = std::move(summary);
  command.positionals = std::move(positionals);
  command.options = std::move(options);
  command.run = std::move(run);
  command.details = std::move(details);
  return command;
}

Command Group(std::string name, std::string summary, std::vector<Command> children,
              std::string details) {
  Command command;
  command.name = std::move(name);
  command.summary = std::move(summary);
  command.children = std::move(children);
  command.details = std::move(details);
  return command;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Args::All(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Args::Bool(const std::string& name) {
  if (!Has(name)) return false;
  std::string value = absl::AsciiStrToLower(Get(name, "true"));
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  Error(absl::StrCat("--", name, ": expected true or false, got \"", value, "\""));
  return false;
}

int64_t Args::Int(const std::string& name, int64_t fallback) {
  if (!Has(name)) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(Get(name), &value)) {
    Error(absl::StrCat("--", name, ": expected a whole number, got \"", Get(name), "\""));
    return fallback;
  }
  return value;
}

int Args::ParseEnum(const std::string& option, const std::string& text,
                    const google::protobuf::EnumDescriptor* type, int fallback) {
  std::string wanted = absl::AsciiStrToUpper(absl::StrReplaceAll(text, {{"-", "_"}, {" ", "_"}}));
  for (int i = 0; i < type->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = type->value(i);
    if (value->number() == 0) continue;
    if (value->name() == wanted || value->name() == EnumPrefix(type) + wanted) {
      return value->number();
    }
  }
  Error(
      absl::StrCat("--", option, ": expected one of ", EnumChoices(type), ", got \"", text, "\""));
  return fallback;
}

std::string EnumToken(const google::protobuf::EnumDescriptor* type, int value) {
  const google::protobuf::EnumValueDescriptor* found = type->FindValueByNumber(value);
  if (found == nullptr) return absl::StrCat(value);
  return absl::AsciiStrToLower(absl::StripPrefix(found->name(), EnumPrefix(type)));
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::vector<std::string> names;
  for (int i = 0; i < type->value_count(); ++i) {
    if (type->value(i)->number() != 0) names.push_back(EnumToken(type, type->value(i)->number()));
  }
  return absl::StrJoin(names, "|");
}

ParsedLine ParseLine(const Command& root, const std::vector<OptionSpec>& globals,
                     const std::vector<std::string>& argv) {
  ParsedLine line;
  line.command = &root;
  line.path = root.name;
  bool only_positionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (!only_positionals && arg == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && (arg == "-h" || arg == "--help" || arg == "help")) {
      // "convene events help" reads as naturally as "--help".
      if (arg != "help" || !line.command->children.empty()) {
        line.help = true;
        continue;
      }
    }
    if (!only_positionals && arg.size() > 2 && arg.starts_with("--")) {
      std::string body = arg.substr(2);
      std::optional<std::string> value;
      if (size_t eq = body.find('='); eq != std::string::npos) {
        value = body.substr(eq + 1);
        body.resize(eq);
      }
      std::string name = Normalize(body);
      const OptionSpec* spec = FindOption(globals, name);
      auto* into = &line.globals;
      if (spec == nullptr && line.command->run) {
        spec = FindOption(line.command->options, name);
        into = &line.options;
      }
      if (spec == nullptr) {
        if (line.error.empty()) line.error = absl::StrCat("unknown option --", body);
        continue;
      }
      if (!value.has_value()) {
        if (spec->value_name.empty()) {
          value = "true";
        } else if (i + 1 < argv.size()) {
          value = argv[++i];
        } else {
          if (line.error.empty()) line.error = absl::StrCat("--", body, " needs a value");
          continue;
        }
      }
      std::string key = Normalize(spec->name);
      // A global option may be given again (after an alias that set it):
      // the last one counts.
      if (!spec->repeated && into == &line.options && into->contains(key) && line.error.empty()) {
        line.error = absl::StrCat("--", spec->name, " given more than once");
      }
      (*into)[key].push_back(*value);
      continue;
    }
    if (!only_positionals && arg.size() > 1 && arg[0] == '-') {
      if (line.error.empty()) line.error = absl::StrCat("unknown option ", arg);
      continue;
    }
    if (line.command->run == nullptr) {
      const Command* child = FindChild(*line.command, arg);
      if (child == nullptr) {
        if (line.error.empty()) line.error = absl::StrCat("unknown command \"", arg, "\"");
        continue;
      }
      line.command = child;
      line.path = absl::StrCat(line.path, " ", arg);
      continue;
    }
    line.positionals.push_back(arg);
  }
  if (line.help || !line.error.empty()) return line;
  if (line.command->run == nullptr) {
    line.error = line.command == &root ? "name a command" : "name a subcommand";
    return line;
  }
  // Positional count: words in brackets are optional.
  size_t required = 0, allowed = 0;
  std::vector<absl::string_view> missing;  // the required words not given
  for (absl::string_view word : absl::StrSplit(line.command->positionals, ' ', absl::SkipEmpty())) {
    ++allowed;
    if (absl::StartsWith(word, "[")) continue;
    ++required;
    if (allowed > line.positionals.size()) missing.push_back(word);
  }
  if (line.positionals.size() < required) {
    line.error = absl::StrCat("missing ", absl::StrJoin(missing, " "));
  } else if (line.positionals.size() > allowed) {
    line.error = absl::StrCat("unexpected argument \"", line.positionals[allowed], "\"");
  }
  return line;
}

std::string HelpText(const Command& node, const std::string& path,
                     const std::vector<OptionSpec>& globals, bool is_root) {
  std::string out;
  if (node.run) {
    absl::StrAppend(&out, "Usage: ", path, node.options.empty() ? "" : " [options]",
                    node.positionals.empty() ? "" : " ", node.positionals, "\n\n", node.summary,
                    ".\n");
    if (!node.options.empty()) {
      absl::StrAppend(&out, "\nOptions:\n");
      AppendOptionList(out, node.options);
    }
  } else {
    absl::StrAppend(&out, "Usage: ", path, " <command> [options]\n\n", node.summary, ".\n\n",
                    "Commands:\n");
    // A nested group lists its subcommands on a second line.
    size_t width = 0;
    for (const Command& child : node.children) width = std::max(width, child.name.size());
    for (const Command& child : node.children) {
      absl::StrAppend(&out, "  ", child.name, std::string(width - child.name.size() + 3, ' '),
                      child.summary, "\n");
      if (!child.children.empty()) {
        std::vector<std::string> names;
        for (const Command& grandchild : child.children) names.push_back(grandchild.name);
        absl::StrAppend(&out, std::string(width + 5, ' '), absl::StrJoin(names, "|"), "\n");
      }
    }
  }
  if (!node.details.empty()) absl::StrAppend(&out, "\n", node.details);
  if (is_root) {
    absl::StrAppend(&out, "\nGlobal options (anywhere on the line):\n");
    AppendOptionList(out, globals);
  } else {
    absl::StrAppend(&out, "\nGlobal options: --tz --server --calendar_server --attendance_server\n",
                    "  --notification_server --admin_server --output --token --timeout --keepalive\n",
                    "  (see 'convene --help').\n");
  }
  if (!node.run) {
    absl::StrAppend(&out, "\nRun '", path, " <command> --help' for the options of a command.\n");
  }
  return out;
}

std::string UsageHint(const Command& node, const std::string& path) {
  if (node.run) {
    return absl::StrCat("Usage: ", path, node.options.empty() ? "" : " [options]",
                        node.positionals.empty() ? "" : " ", node.positionals, "\nRun '", path,
                        " --help' for more.\n");
  }
  std::vector<std::string> names;
  for (const Command& child : node.children) names.push_back(child.name);
  return absl::StrCat("Usage: ", path, " <", absl::StrJoin(names, "|"), "> ...\nRun '", path,
                      " --help' for more.\n");
}

}  // namespace convene::cli
