// convene: the command-line client of the calendar, attendance and
// notification services, and of the admin service for tokens.
//
//   convene events agenda ev_0123456789abcdef --tz=America/New_York
//   convene attendance counts ev_0123456789abcdef
//   convene reminders list ev_0123456789abcdef --output=json
//   CONVENE_TOKEN=cvt_... convene tokens list
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include <grpcpp/security/credentials.h>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "commands.h"

namespace convene::cli {
namespace {

std::vector<OptionSpec> GlobalOptions() {
  return {
      {"tz", "ZONE", "your zone for times shown (default: $TZ, then the system's zone, then UTC)"},
      {"server", "HOST:PORT", "convened, all the services (default: $CONVENE_SERVER, then 127.0.0.1:50051)"},
      {"calendar_server", "HOST:PORT", "the calendar service (default: --server)"},
      {"attendance_server", "HOST:PORT", "the attendance service (default: --server)"},
      {"notification_server", "HOST:PORT", "the notification service (default: --server)"},
      {"admin_server", "HOST:PORT", "the admin service, tokens (default: --server)"},
      {"output", "FORMAT", "table (default) or json: the response as JSON, one line"},
      {"token", "TOKEN", "bearer token (default: $CONVENE_TOKEN)"},
      {"timeout", "DURATION", "deadline of each call: 10s (default), 500ms, or seconds"},
      {"keepalive", "DURATION", "ping a quiet connection this often and drop it when a ping goes unanswered as long: a watch over a network that vanished notices it and reconnects instead of waiting for ever; 30s (default), 0: never"},
      {"tls_ca_file", "FILE", "the servers serve TLS: trust the CA certificates in FILE (PEM; a self-signed server's own certificate)"},
  };
}

constexpr char kRootDetails[] =
    "Times are shown in your zone (--tz) with the venue's alongside:\n"
    "  2022-03-15 03:00 America/New_York = 09:00 Europe/Athens\n"
    "\n"
    "Exit codes:\n"
    "  0    done\n"
    "  1    the call failed; stderr has one line: convene: CODE: message\n"
    "  2    usage error: unknown command or option, bad value\n"
    "  130  interrupted (Ctrl-C) while watching\n"
    "\n"
    "Environment: TZ, CONVENE_SERVER, CONVENE_TOKEN, CONVENE_WEBHOOK_SECRET.\n"
    "\n"
    "Tokens: the first admin token comes from `convene-admin bootstrap-token`;\n"
    "with it, `convene tokens create` makes the others.\n";

Command Root() {
  return Group("convene",
               "Command-line client of the Convene calendar, attendance and notification "
               "services and of their tokens",
               {EventsCommands(), AttendanceCommands(), RemindersCommands(), NoticesCommands(), ChangesCommands(),
                TokensCommands()},
               kRootDetails);
}

// The machine's zone: /etc/timezone (Debian), else where /etc/localtime
// links to under .../zoneinfo/.
std::string SystemZone() {
  std::ifstream file("/etc/timezone");
  std::string name;
  if (file && std::getline(file, name)) {
    name = std::string(absl::StripAsciiWhitespace(name));
    if (!name.empty() && core::ResolveZone(name).ok()) return name;
  }
  std::error_code error;
  std::filesystem::path target = std::filesystem::read_symlink("/etc/localtime", error);
  if (!error) {
    std::string text = target.string();
    if (size_t at = text.find("zoneinfo/"); at != std::string::npos) {
      name = text.substr(at + 9);
      if (core::ResolveZone(name).ok()) return name;
    }
  }
  return "";
}

absl::StatusOr<core::Zone> ViewerZone(const ParsedLine& line) {
  if (line.globals.contains("tz")) {
    return core::ResolveZone(line.globals.at("tz").back(), "--tz");
  }
  if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
    absl::StatusOr<core::Zone> zone = core::ResolveZone(absl::StripPrefix(tz, ":"));
    if (zone.ok()) return zone;
  }
  std::string system = SystemZone();
  return core::ResolveZone(system.empty() ? "UTC" : system);
}

int TerminalWidth() {
  int width = 0;
  winsize size{};
  if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0) {
    width = size.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    absl::SimpleAtoi(columns, &width);
  }
  if (width <= 0) width = 120;  // a pipe or a log: the widest we draw
  return std::clamp(width, 80, 120);
}

std::string Global(const ParsedLine& line, const std::string& name, const std::string& fallback) {
  auto it = line.globals.find(name);
  return it == line.globals.end() ? fallback : it->second.back();
}

int Run(int argc, char** argv) {
  const Command root = Root();
  const std::vector<OptionSpec> globals = GlobalOptions();
  ParsedLine line = ParseLine(root, globals, std::vector<std::string>(argv + 1, argv + argc));
  if (line.help) {
    std::cout << HelpText(*line.command, line.path, globals, line.command == &root);
    return kExitOk;
  }
  if (!line.error.empty()) {
    std::cerr << line.path << ": " << line.error << "\n" << UsageHint(*line.command, line.path);
    return kExitUsage;
  }
  Args args(line.path, line.options, line.positionals);
  auto usage = [&](std::string message) {
    std::cerr << line.path << ": " << message << "\n" << UsageHint(*line.command, line.path);
    return kExitUsage;
  };

  absl::StatusOr<core::Zone> viewer = ViewerZone(line);
  if (!viewer.ok()) return usage(std::string(viewer.status().message()));
  std::string output = Global(line, "output", "table");
  if (output != "table" && output != "json") {
    return usage("--output: expected table or json, got \"" + output + "\"");
  }
  client::ClientOptions options;
  const char* server = std::getenv("CONVENE_SERVER");
  options.target = Global(line, "server", server != nullptr && *server != '\0' ? server : "127.0.0.1:50051");
  options.calendar_target = Global(line, "calendar_server", "");
  options.attendance_target = Global(line, "attendance_server", "");
  options.notification_target = Global(line, "notification_server", "");
  options.admin_target = Global(line, "admin_server", "");
  const char* token = std::getenv("CONVENE_TOKEN");
  options.bearer_token = Global(line, "token", token ? token : "");
  if (line.globals.contains("timeout")) {
    std::string text = Global(line, "timeout", "");
    double seconds = 0;
    absl::StatusOr<absl::Duration> timeout =
        absl::SimpleAtod(text, &seconds) ? absl::Seconds(seconds) : ParseDurationArg(text);
    if (!timeout.ok() || *timeout <= absl::ZeroDuration()) {
      return usage("--timeout: expected a positive duration such as 10s, got \"" + text + "\"");
    }
    options.deadline = *timeout;
  }
  if (line.globals.contains("keepalive")) {
    std::string text = Global(line, "keepalive", "");
    double seconds = 0;
    absl::StatusOr<absl::Duration> every =
        absl::SimpleAtod(text, &seconds) ? absl::Seconds(seconds) : ParseDurationArg(text);
    if (!every.ok() || *every < absl::ZeroDuration()) {
      return usage("--keepalive: expected a duration such as 30s, or 0, got \"" + text + "\"");
    }
    options.keepalive_time = *every;
    options.keepalive_timeout = std::min(*every, absl::Seconds(10));
  }
  if (line.globals.contains("tls_ca_file")) {
    std::string path = Global(line, "tls_ca_file", "");
    std::ifstream file(path, std::ios::binary);
    std::string pem((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (!file || pem.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return usage("--tls_ca_file: \"" + path + "\" is not a readable PEM certificate file");
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = std::move(pem);
    options.credentials = grpc::SslCredentials(ssl);
  }
  absl::StatusOr<std::unique_ptr<client::ConveneClient>> client =
      client::ConveneClient::Connect(options);
  if (!client.ok()) return usage(std::string(client.status().message()));
  Context ctx(std::move(*client), *viewer, output == "json", TerminalWidth());
  return line.command->run(ctx, args);
}

}  // namespace

absl::Status WatchUntilStopped(std::string_view what,
                               const std::function<absl::Status(WatchStream&)>& stream) {
  bool established = false;
  for (int retry = 0;; ++retry) {
    WatchStream done;
    absl::Status status = stream(done);
    established = established || done.shown || done.reached;
    if (status.code() != absl::StatusCode::kUnavailable || !established) return status;
    if (done.shown) retry = 0;
    const int wait_s = retry >= 5 ? 30 : std::min(30, 1 << retry);
    std::string message(status.message());
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::cerr << "convene: " << what << " interrupted (UNAVAILABLE: " << message
              << "); reconnecting in " << wait_s << " s" << std::endl;
    absl::SleepFor(absl::Seconds(wait_s));
  }
}

void ExitOnInterrupt() {
  struct sigaction action {};
  action.sa_handler = [](int) {
    // Only async-signal-safe calls here: end the line, leave.
    constexpr char kNewline[] = "\n";
    [[maybe_unused]] ssize_t n = write(STDOUT_FILENO, kNewline, 1);
    _exit(kExitInterrupted);
  };
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
}

}  // namespace convene::cli

int main(int argc, char** argv) { return convene::cli::Run(argc, argv); }
