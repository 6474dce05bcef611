// SHA-1 (adapter/src/sha1.h): the FIPS 180 / RFC 3174 vectors, agreement with
// Poco::SHA1Engine on every short length and on random inputs, any split into
// pieces, for the portable and the SHA-NI block functions alike; and the
// version 5 UUIDs built on it.
#include "sha1.h"

#include <Poco/DigestEngine.h>
#include <Poco/SHA1Engine.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "writeback_identity.h"

namespace bonewatch::adapter {
namespace {

using Implementation = Sha1::Implementation;

std::string Hex(const Sha1Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : digest) {
    text += kHex[byte >> 4];
    text += kHex[byte & 0x0F];
  }
  return text;
}

std::string PocoSha1Hex(std::string_view bytes) {
  Poco::SHA1Engine engine;
  engine.update(bytes.data(), static_cast<unsigned>(bytes.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

// Bytes of every value, from a fixed seed.
std::string RandomBytes(std::mt19937& random, std::size_t size) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(byte(random));
  return bytes;
}

class Sha1Test : public testing::TestWithParam<Implementation> {
 protected:
  void SetUp() override {
    if (GetParam() == Implementation::kShaNi && !Sha1::ShaNiSupported()) {
      GTEST_SKIP() << "this CPU has no SHA-NI";
    }
  }

  std::string HashHex(std::string_view bytes) const {
    Sha1 sha1(GetParam());
    sha1.Update(bytes);
    return Hex(sha1.Finish());
  }
};

TEST_P(Sha1Test, Fips180AndRfc3174Vectors) {
  EXPECT_EQ(HashHex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HashHex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HashHex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HashHex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  std::string repeated;
  for (int i = 0; i < 80; ++i) repeated += "01234567";
  EXPECT_EQ(HashHex(repeated), "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

TEST_P(Sha1Test, MillionAsInPieces) {
  Sha1 sha1(GetParam());
  const std::string piece(1000, 'a');
  for (int i = 0; i < 1000; ++i) sha1.Update(piece);
  EXPECT_EQ(Hex(sha1.Finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

// Every length around the padding boundaries (55/56/64 bytes and multiples).
TEST_P(Sha1Test, EveryLengthUpTo300MatchesPoco) {
  std::mt19937 random(1);
  for (std::size_t size = 0; size <= 300; ++size) {
    const std::string bytes = RandomBytes(random, size);
    EXPECT_EQ(HashHex(bytes), PocoSha1Hex(bytes)) << "length " << size;
  }
}

TEST_P(Sha1Test, RandomInputsMatchPoco) {
  std::mt19937 random(2);
  std::uniform_int_distribution<std::size_t> length(0, 5000);
  for (int i = 0; i < 200; ++i) {
    const std::string bytes = RandomBytes(random, length(random));
    EXPECT_EQ(HashHex(bytes), PocoSha1Hex(bytes)) << "length " << bytes.size();
  }
}

// Three pieces, split at every pair of points: the digest is that of the whole.
TEST_P(Sha1Test, AnySplitIntoPiecesHashesTheWhole) {
  std::mt19937 random(3);
  const std::string bytes = RandomBytes(random, 150);
  const std::string expected = PocoSha1Hex(bytes);
  const std::string_view whole = bytes;
  Sha1 sha1(GetParam());
  for (std::size_t i = 0; i <= whole.size(); ++i) {
    for (std::size_t j = i; j <= whole.size(); ++j) {
      sha1.Update(whole.substr(0, i));
      sha1.Update(whole.substr(i, j - i));
      sha1.Update(whole.substr(j));
      ASSERT_EQ(Hex(sha1.Finish()), expected) << "split at " << i << " and " << j;
    }
  }
}

TEST_P(Sha1Test, ManySmallAndRandomPieces) {
  std::mt19937 random(4);
  const std::string bytes = RandomBytes(random, 3000);
  const std::string expected = PocoSha1Hex(bytes);
  const std::string_view whole = bytes;
  Sha1 sha1(GetParam());
  for (char c : whole) sha1.Update(std::string_view(&c, 1));
  EXPECT_EQ(Hex(sha1.Finish()), expected) << "byte by byte";
  for (int round = 0; round < 50; ++round) {
    std::uniform_int_distribution<std::size_t> piece(0, 200);
    for (std::size_t at = 0; at < whole.size();) {
      const std::size_t size = std::min(piece(random), whole.size() - at);
      sha1.Update(whole.substr(at, size));
      at += size;
    }
    ASSERT_EQ(Hex(sha1.Finish()), expected) << "round " << round;
  }
}

// Finish() starts a new message: no state of the previous one is left.
TEST_P(Sha1Test, FinishStartsANewMessage) {
  Sha1 sha1(GetParam());
  sha1.Update(std::string(100, 'x'));
  (void)sha1.Finish();
  sha1.Update("abc");
  EXPECT_EQ(Hex(sha1.Finish()), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Hex(sha1.Finish()), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

std::string ImplementationName(const testing::TestParamInfo<Implementation>& param) {
  switch (param.param) {
    case Implementation::kPortable:
      return "Portable";
    case Implementation::kShaNi:
      return "ShaNi";
    case Implementation::kBest:
      return "Best";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(Implementations, Sha1Test,
                         testing::Values(Implementation::kPortable, Implementation::kShaNi,
                                         Implementation::kBest),
                         ImplementationName);

TEST(Sha1, OneShotMatchesPoco) {
  EXPECT_EQ(Hex(Sha1Of("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  std::mt19937 random(5);
  const std::string bytes = RandomBytes(random, 1000);
  EXPECT_EQ(Hex(Sha1Of(bytes)), PocoSha1Hex(bytes));
}

// RFC 9562 Appendix A.4: the version 5 UUID of "www.example.com" in the DNS
// namespace (6ba7b810-9dad-11d1-80b4-00c04fd430c8) is
// 2ed6657d-e927-568b-95e1-2665a8aea6a2.
TEST(Sha1, Rfc9562Version5Example) {
  const unsigned char dns_namespace[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                           0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  for (Implementation implementation : {Implementation::kPortable, Implementation::kBest}) {
    Sha1 sha1(implementation);
    sha1.Update(std::string_view(reinterpret_cast<const char*>(dns_namespace), 16));
    sha1.Update("www.example.com");
    Sha1Digest digest = sha1.Finish();
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x50);
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
    EXPECT_EQ(Hex(digest).substr(0, 32), "2ed6657de927568b95e12665a8aea6a2");
  }
}

// Reference values from Python:
//   ns = uuid.uuid5(uuid.NAMESPACE_URL, base); uuid.uuid5(ns, name)
TEST(DeterministicUrnUuid, MatchesPythonUuid5) {
  const WritebackOptions options;  // base http://bonewatch.example/fhir
  EXPECT_EQ(DeterministicUrnUuid(options, "x"), "urn:uuid:08188bae-0dc1-5a35-9bc3-ab341963b3c4");
  EXPECT_EQ(DeterministicUrnUuid(options, ""), "urn:uuid:ce518b1e-c190-54c3-b653-e3f5efc43041");
  // Namespace and name together are longer than one block.
  const std::string flag_name =
      "Flag|http://bonewatch.example/fhir/identifier/flag|p1.FRACTURE.2025-01-02";
  EXPECT_EQ(DeterministicUrnUuid(options, flag_name),
            "urn:uuid:a4eef4c1-ef61-5524-89ee-c053c2ecdfb7");
  WritebackOptions other;
  other.base = "https://fhir.example.org/base";
  EXPECT_EQ(DeterministicUrnUuid(other, "x"), "urn:uuid:6e5cfe74-cd3f-56f5-bbec-c3dfa6f69c0b");
  // Back to the first base: the per-thread namespace follows the base.
  EXPECT_EQ(DeterministicUrnUuid(options, "x"), "urn:uuid:08188bae-0dc1-5a35-9bc3-ab341963b3c4");
}

TEST(DeterministicUrnUuid, PiecesHashTheirConcatenation) {
  const WritebackOptions options;
  EXPECT_EQ(DeterministicUrnUuid(
                options, {"Flag|", options.FlagIdentifierSystem(), "|", "p1.FRACTURE.2025-01-02"}),
            "urn:uuid:a4eef4c1-ef61-5524-89ee-c053c2ecdfb7");
  EXPECT_EQ(DeterministicUrnUuid(options, {"", "x", ""}),
            "urn:uuid:08188bae-0dc1-5a35-9bc3-ab341963b3c4");
  EXPECT_EQ(DeterministicUrnUuid(options, {}), DeterministicUrnUuid(options, ""));
}

// The prefix hashed once gives what hashing the whole name gives, whether the
// prefix ends within the first block or beyond it.
TEST(UrnUuidMaker, MakesDeterministicUrnUuidOfPrefixAndRest) {
  const WritebackOptions options;
  const UrnUuidMaker flags(options, {"Flag|", options.FlagIdentifierSystem(), "|"});
  EXPECT_EQ(flags.Make("p1.FRACTURE.2025-01-02"), "urn:uuid:a4eef4c1-ef61-5524-89ee-c053c2ecdfb7");
  EXPECT_EQ(flags.Make("p1.FRACTURE.2025-01-02"), "urn:uuid:a4eef4c1-ef61-5524-89ee-c053c2ecdfb7");
  const UrnUuidMaker none(options, {});
  EXPECT_EQ(none.Make("x"), "urn:uuid:08188bae-0dc1-5a35-9bc3-ab341963b3c4");
  std::mt19937 random(6);
  for (std::size_t prefix_size = 0; prefix_size <= 130; ++prefix_size) {
    const std::string prefix = RandomBytes(random, prefix_size);
    const UrnUuidMaker maker(options, {prefix});
    for (std::size_t rest_size : {0, 1, 40, 100}) {
      const std::string rest = RandomBytes(random, rest_size);
      ASSERT_EQ(maker.Make(rest), DeterministicUrnUuid(options, prefix + rest))
          << "prefix " << prefix_size << ", rest " << rest_size;
    }
  }
  WritebackOptions other;
  other.base = "https://fhir.example.org/base";
  EXPECT_EQ(UrnUuidMaker(other, {"x"}).Make(""), "urn:uuid:6e5cfe74-cd3f-56f5-bbec-c3dfa6f69c0b");
}

}  // namespace
}  // namespace bonewatch::adapter
