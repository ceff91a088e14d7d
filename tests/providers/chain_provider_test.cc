// ChainProvider: which errors pass to the next provider and which stop the chain.
#include "providers/intensity_provider.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>

namespace sunwind {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

// Answers every query with a fixed Status, or with one point of a fixed value
// when the Status is OK; counts the queries it gets.
class FakeProvider final : public IntensityProvider {
 public:
  FakeProvider(std::string name, Status status, double value = 0)
      : name_(std::move(name)), status_(std::move(status)), value_(value) {}
  std::string Name() const override { return name_; }
  Result<IntensitySeries> Intensity(const IntensityQuery& query) override {
    ++calls;
    if (!status_.ok()) return status_;
    IntensitySeries s;
    s.start = query.from;
    s.step = query.step;
    s.Append(value_, PointKind::kMeasured, name_);
    return s;
  }
  int calls = 0;

 private:
  std::string name_;
  Status status_;
  double value_;
};

IntensityQuery Query() {
  IntensityQuery q;
  q.zone = "DE";
  q.from = sys_days{2022y / June / 1};
  q.to = q.from + 1h;
  return q;
}

class ChainProviderTest : public ::testing::Test {};

TEST_F(ChainProviderTest, FallsThroughNotFoundUnavailableAndRateLimited) {
  // Given providers answering NotFound, Unavailable and RateLimited before one that answers,
  // we should ask each in turn and return the answer of the last.
  FakeProvider a("a", Status::NotFound("no zone")), b("b", Status::Unavailable("down")),
      c("c", Status(StatusCode::kRateLimited, "slow down")), d("d", Status::Ok(), 123);
  ChainProvider chain({&a, &b, &c, &d});
  auto s = chain.Intensity(Query());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({123}), s->values);
  EXPECT_EQ("d", s->provenance[0].source);
  EXPECT_EQ(1, a.calls);
  EXPECT_EQ(1, b.calls);
  EXPECT_EQ(1, c.calls);
  EXPECT_EQ(1, d.calls);
}

TEST_F(ChainProviderTest, StopsOnInvalidArgument) {
  // Given a provider refusing the query as invalid before one that would answer,
  // we should return that error unchanged and not ask the next provider.
  FakeProvider a("a", Status::NotFound("no zone")), b("b", Status::InvalidArgument("bad step")),
      c("c", Status::Ok(), 1);
  ChainProvider chain({&a, &b, &c});
  auto s = chain.Intensity(Query());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kInvalidArgument, s.status().code());
  EXPECT_EQ("bad step", s.status().message());
  EXPECT_EQ(1, a.calls);
  EXPECT_EQ(1, b.calls);
  EXPECT_EQ(0, c.calls);
}

TEST_F(ChainProviderTest, StopsOnOtherErrorsToo) {
  // Given a provider failing with Unauthenticated (not a "try the next one" code),
  // we should stop there.
  FakeProvider a("a", Status(StatusCode::kUnauthenticated, "no token")), b("b", Status::Ok(), 1);
  ChainProvider chain({&a, &b});
  auto s = chain.Intensity(Query());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kUnauthenticated, s.status().code());
  EXPECT_EQ(0, b.calls);
}

TEST_F(ChainProviderTest, FirstAnswerWins) {
  // Given two providers that both answer,
  // we should return the first one's answer and not ask the second.
  FakeProvider a("a", Status::Ok(), 10), b("b", Status::Ok(), 20);
  ChainProvider chain({&a, &b});
  auto s = chain.Intensity(Query());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(std::vector<double>({10}), s->values);
  EXPECT_EQ(0, b.calls);
}

TEST_F(ChainProviderTest, NotFoundWhenNoProviderAnswersListingWhatEachSaid) {
  // Given providers that all pass,
  // we should answer NotFound for the zone and say what each provider said.
  FakeProvider a("trace", Status::NotFound("no trace for zone 'DE'")), b("api", Status::Unavailable("timeout"));
  ChainProvider chain({&a, &b});
  auto s = chain.Intensity(Query());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(StatusCode::kNotFound, s.status().code());
  EXPECT_EQ("no intensity data for zone 'DE' (trace: no trace for zone 'DE'; api: timeout)", s.status().message());
}

TEST_F(ChainProviderTest, NameListsTheProvidersInOrder) {
  // Given a chain of three providers,
  // we should name it after them, in order.
  FakeProvider a("trace", Status::Ok()), b("api", Status::Ok()), c("yearly-average", Status::Ok());
  EXPECT_EQ("trace > api > yearly-average", ChainProvider({&a, &b, &c}).Name());
}

TEST_F(ChainProviderTest, ParsesEmissionFactorNames) {
  // Given the words the CLI accepts for --emission-factor,
  // we should map them, and refuse anything else naming the flag and the input.
  EXPECT_EQ(EmissionFactor::kLifecycle, ParseEmissionFactor("lifecycle").value());
  EXPECT_EQ(EmissionFactor::kLifecycle, ParseEmissionFactor("LCA").value());
  EXPECT_EQ(EmissionFactor::kDirect, ParseEmissionFactor("direct").value());
  auto bad = ParseEmissionFactor("scope3");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ("--emission-factor: expected 'lifecycle' or 'direct', got 'scope3'", bad.status().message());
  EXPECT_STREQ("direct", EmissionFactorName(EmissionFactor::kDirect));
  EXPECT_STREQ("lifecycle", EmissionFactorName(EmissionFactor::kLifecycle));
}

}  // namespace
}  // namespace sunwind
