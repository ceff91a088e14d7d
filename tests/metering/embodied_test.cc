#include "metering/embodied.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace sunwind {
namespace {

TEST(EmbodiedTest, ChargesTheShareOfLifespanAndVcpus) {
  // Given a 1000 kg server with 16 vCPUs, a 4-year (35040 h) lifespan and a
  // job that kept 4 vCPUs busy for 2 h, we should charge
  // 1000 kg × 1000 g/kg × 2/35040 × 4/16 = 14.2694 g.
  EmbodiedMachine m{1000, 16, 0, "test"};
  auto e = EstimateEmbodied(m, {2.0, 4.0, 0}, 35040);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_NEAR(e->emissions_g, 14.269406, 1e-6);
  EXPECT_DOUBLE_EQ(e->share, 0.25);
  EXPECT_NE(e->note.find("shown apart from operational"), std::string::npos);
}

TEST(EmbodiedTest, UsesTheLargerOfVcpuAndGpuShareCappedAtOne) {
  // Given a job holding 1 of 4 GPUs but only half a vCPU of 32, we should
  // charge a quarter of the machine; one busy on 40 vCPUs of 16, all of it.
  EmbodiedMachine gpu_box{3543.79, 32, 4, "p3.16xlarge"};
  auto e = EstimateEmbodied(gpu_box, {1.0, 0.5, 1}, 35040);
  ASSERT_TRUE(e.ok());
  EXPECT_DOUBLE_EQ(e->share, 0.25);
  EXPECT_NEAR(e->emissions_g, 3543.79 * 1000 / 35040 * 0.25, 1e-9);  // 25.2839 g
  auto all = EstimateEmbodied({1000, 16, 0, "x"}, {1.0, 40.0, 0}, 35040);
  ASSERT_TRUE(all.ok());
  EXPECT_DOUBLE_EQ(all->share, 1.0);
  EXPECT_NEAR(all->emissions_g, 28.538813, 1e-6);
}

TEST(EmbodiedTest, RefusesNonsense) {
  // Given a zero lifespan, no vCPUs or negative hours, we should refuse
  // naming the input rather than print a number.
  EXPECT_EQ(EstimateEmbodied({1000, 16, 0, ""}, {1, 1, 0}, 0).status().message(), "lifespan_h: must be positive");
  EXPECT_EQ(EstimateEmbodied({1000, 0, 0, ""}, {1, 1, 0}, 35040).status().message(), "vcpus: must be positive");
  EXPECT_FALSE(EstimateEmbodied({1000, 4, 0, ""}, {-1, 1, 0}, 35040).ok());
}

TEST(EmbodiedTest, LoadsCcfCoefficientsFromTheBundledData) {
  // Given the bundled CCF files, we should read a 35040 h lifespan and a
  // base server of 1000 kg (every AWS row's total minus its extra parts).
  auto c = EmbodiedCoefficients::Load(std::string(SUNWIND_TEST_DATA_DIR) + "/hardware");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_DOUBLE_EQ(c->lifespan_h(), 35040);
  EXPECT_DOUBLE_EQ(c->base_server_kg(), 1000);
  EXPECT_DOUBLE_EQ(c->lifespan_h(), kCcfServerLifespanH);
  EXPECT_DOUBLE_EQ(c->base_server_kg(), kCcfBaseServerKg);
  EmbodiedMachine host = c->BaseServer(8);
  EXPECT_EQ(host.vcpus, 8);
  EXPECT_DOUBLE_EQ(host.total_kg, 1000);
}

TEST(EmbodiedTest, RefusesATableWhoseBaseDiffers) {
  // Given an AWS table whose second row implies a different base server, we
  // should refuse naming that file and line.
  auto dir = std::filesystem::temp_directory_path() / ("embodied_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "ccf_scalar_coefficients.csv")
      << "provider,constant,value,source_comment,source\naws,SERVER_EXPECTED_LIFESPAN,35040,,x\n";
  std::ofstream(dir / "coefficients-aws-embodied.csv")
      << ",type,additional_memory,additional_storage,additional_cpus,additional_gpus,total\n"
         "0,a,10,0,0,0,1010\n1,b,10,0,0,0,1510\n";
  auto c = EmbodiedCoefficients::Load(dir.string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("coefficients-aws-embodied.csv:3"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace sunwind
