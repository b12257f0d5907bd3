#include "core/tzdata_version.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace convene::core {
namespace {

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(TzdataVersionFromFile, ReadsTheVersionFromTheFirstLine) {
  EXPECT_EQ(TzdataVersionFromFile(WriteTempFile(
                "tzdata_ok.zi", "# version 2025b\n# ddeps backzone\nZ x\n")),
            "2025b");
}

TEST(TzdataVersionFromFile, SaysUnknownForMissingOrStrangeFiles) {
  EXPECT_EQ(TzdataVersionFromFile(::testing::TempDir() + "no_such_file.zi"),
            "unknown");
  EXPECT_EQ(TzdataVersionFromFile(WriteTempFile("tzdata_empty.zi", "")),
            "unknown");
  EXPECT_EQ(TzdataVersionFromFile(
                WriteTempFile("tzdata_other.zi", "# ddeps backzone\n")),
            "unknown");
  EXPECT_EQ(TzdataVersionFromFile(
                WriteTempFile("tzdata_odd.zi", "# version ../../x\n")),
            "unknown");
  EXPECT_EQ(
      TzdataVersionFromFile(WriteTempFile("tzdata_blank.zi", "# version \n")),
      "unknown");
}

TEST(TzdataVersion, MatchesTheSystemFile) {
  const std::string version = TzdataVersion();
  EXPECT_EQ(version, TzdataVersionFromFile("/usr/share/zoneinfo/tzdata.zi"));
  EXPECT_NE(version, "unknown") << "is tzdata installed?";
}

}  // namespace
}  // namespace convene::core
