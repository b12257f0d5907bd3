#include "core/city_zones.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

struct CityCase {
  const char* city;
  const char* zone;
};

class ZoneForCityTest : public ::testing::TestWithParam<CityCase> {};

TEST_P(ZoneForCityTest, FindsTheZone) {
  absl::StatusOr<std::string> zone = ZoneForCity(GetParam().city, "city");
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(*zone, GetParam().zone);
}

INSTANTIATE_TEST_SUITE_P(
    CityNames, ZoneForCityTest,
    ::testing::Values(
        CityCase{"Brussels", "Europe/Brussels"},
        CityCase{"Bruxelles", "Europe/Brussels"},
        CityCase{"Brussel", "Europe/Brussels"},
        CityCase{"Brüssel", "Europe/Brussels"},
        CityCase{"  BRUXELLES  ", "Europe/Brussels"},
        CityCase{"Antwerpen", "Europe/Brussels"},
        CityCase{"antwerp", "Europe/Brussels"},
        CityCase{"Athina", "Europe/Athens"}, CityCase{"Αθήνα", "Europe/Athens"},
        CityCase{"ΑΘΗΝΑ", "Europe/Athens"},
        CityCase{"Dortmund", "Europe/Berlin"},
        CityCase{"Gothenburg", "Europe/Stockholm"},
        CityCase{"Göteborg", "Europe/Stockholm"},
        CityCase{"GÖTEBORG", "Europe/Stockholm"},
        CityCase{"Go\xcc\x88teborg", "Europe/Stockholm"},  // decomposed ö
        CityCase{"Madrid", "Europe/Madrid"}, CityCase{"Paris", "Europe/Paris"},
        CityCase{"Rotterdam", "Europe/Amsterdam"},
        CityCase{"Sofia", "Europe/Sofia"}, CityCase{"София", "Europe/Sofia"},
        CityCase{"Tampere", "Europe/Helsinki"},
        CityCase{"Torino", "Europe/Rome"}, CityCase{"Turin", "Europe/Rome"},
        CityCase{"Utrecht", "Europe/Amsterdam"},
        CityCase{"Warsaw", "Europe/Warsaw"},
        CityCase{"Warszawa", "Europe/Warsaw"},
        CityCase{"Zagreb", "Europe/Zagreb"}, CityCase{"Asti", "Europe/Rome"},
        CityCase{"Cuneo", "Europe/Rome"},
        CityCase{"Settimo Torinese", "Europe/Rome"},
        CityCase{"settimo-torinese", "Europe/Rome"},
        CityCase{"Settimo   Torinese", "Europe/Rome"},
        CityCase{"Thessaloniki", "Europe/Athens"},
        CityCase{"Thessaloníki", "Europe/Athens"},
        CityCase{"Θεσσαλονίκη", "Europe/Athens"},
        CityCase{"Delta", "Europe/Athens"}, CityCase{"Prague", "Europe/Prague"},
        CityCase{"Praha", "Europe/Prague"},
        CityCase{"New York", "America/New_York"},
        CityCase{"new-york", "America/New_York"},
        CityCase{"NYC", "America/New_York"}, CityCase{"Tokyo", "Asia/Tokyo"},
        CityCase{"東京", "Asia/Tokyo"}));

TEST(ZoneForCity, KnowsEveryCityOfTheNetworkUnderItsEnglishName) {
  EXPECT_EQ(KnownCities().size(), 22u);
  for (const CityZone& city : KnownCities()) {
    absl::StatusOr<std::string> zone = ZoneForCity(city.city);
    ASSERT_TRUE(zone.ok()) << city.city << ": " << zone.status();
    EXPECT_EQ(*zone, city.iana_zone) << city.city;
  }
}

TEST(ZoneForCity, MapsOnlyToZonesTheTzDatabaseHas) {
  for (const CityZone& city : KnownCities()) {
    EXPECT_TRUE(ResolveZone(city.iana_zone).ok()) << city.iana_zone;
  }
}

TEST(ZoneForCity, RejectsAnUnknownCityNamingItAndSuggestingAZone) {
  absl::StatusOr<std::string> zone =
      ZoneForCity("Springfield", "participants[3].city");
  ASSERT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zone.status().message(),
              HasSubstr("participants[3].city: unknown city \"Springfield\""));
  EXPECT_THAT(zone.status().message(), HasSubstr("time zone instead"));
}

TEST(ZoneForCity, RejectsAnEmptyCity) {
  absl::StatusOr<std::string> zone = ZoneForCity("   ", "city");
  ASSERT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zone.status().message(), HasSubstr("city: city is empty"));
}

TEST(ZoneForCity, TellsAZoneNameFromACity) {
  absl::StatusOr<std::string> zone = ZoneForCity("Europe/Rome", "city");
  ASSERT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zone.status().message(),
              HasSubstr("\"Europe/Rome\" looks like a time zone"));
}

TEST(ZoneForCity, DoesNotMatchPartsOfNames) {
  EXPECT_FALSE(ZoneForCity("Settimo").ok());
  EXPECT_FALSE(ZoneForCity("New").ok());
  EXPECT_FALSE(ZoneForCity("Brussels Airport").ok());
}

TEST(ZoneForCity, QuotesMalformedInputSafely) {
  absl::StatusOr<std::string> zone = ZoneForCity("Z\xff\xfe", "city");
  ASSERT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zone.status().message(), HasSubstr("\\xff"));
}

}  // namespace
}  // namespace convene::core
