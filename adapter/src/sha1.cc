#include "sha1.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define BONEWATCH_SHA1_HAVE_SHA_NI 1
#else
#define BONEWATCH_SHA1_HAVE_SHA_NI 0
#endif

namespace bonewatch::adapter {
namespace {

constexpr std::array<std::uint32_t, 5> kInitialState = {0x67452301, 0xEFCDAB89, 0x98BADCFE,
                                                        0x10325476, 0xC3D2E1F0};

std::uint32_t LoadBigEndian(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void StoreBigEndian(std::uint32_t value, unsigned char* p) {
  p[0] = static_cast<unsigned char>(value >> 24);
  p[1] = static_cast<unsigned char>(value >> 16);
  p[2] = static_cast<unsigned char>(value >> 8);
  p[3] = static_cast<unsigned char>(value);
}

std::uint32_t Rotl(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// W[t] of FIPS 180-4 §6.1.2 step 1 for t >= 16, kept in a 16-word ring.
inline std::uint32_t NextScheduleWord(std::uint32_t* w, int t) {
  w[t & 15] = Rotl(w[(t - 3) & 15] ^ w[(t - 8) & 15] ^ w[(t - 14) & 15] ^ w[t & 15], 1);
  return w[t & 15];
}

// One round of FIPS 180-4 §6.1.2 step 3 with f(b, c, d) + K already summed.
inline void Round(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c, std::uint32_t& d,
                  std::uint32_t& e, std::uint32_t f_plus_k, std::uint32_t w) {
  const std::uint32_t next = Rotl(a, 5) + f_plus_k + e + w;
  e = d;
  d = c;
  c = Rotl(b, 30);
  b = a;
  a = next;
}

// FIPS 180-4 §6.1.2. One loop per function f, each fully unrolled, so that
// no round branches on t (about 20% faster than one loop over all 80).
void PortableBlocks(std::uint32_t* state, const unsigned char* blocks, std::size_t count) {
  for (; count > 0; --count, blocks += 64) {
    std::uint32_t w[16];
    for (int t = 0; t < 16; ++t) w[t] = LoadBigEndian(blocks + 4 * t);
    std::uint32_t a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
#pragma GCC unroll 20
    for (int t = 0; t < 20; ++t) {
      Round(a, b, c, d, e, ((b & c) | (~b & d)) + 0x5A827999,
            t < 16 ? w[t] : NextScheduleWord(w, t));
    }
#pragma GCC unroll 20
    for (int t = 20; t < 40; ++t) {
      Round(a, b, c, d, e, (b ^ c ^ d) + 0x6ED9EBA1, NextScheduleWord(w, t));
    }
#pragma GCC unroll 20
    for (int t = 40; t < 60; ++t) {
      Round(a, b, c, d, e, ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDC, NextScheduleWord(w, t));
    }
#pragma GCC unroll 20
    for (int t = 60; t < 80; ++t) {
      Round(a, b, c, d, e, (b ^ c ^ d) + 0xCA62C1D6, NextScheduleWord(w, t));
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
  }
}

#if BONEWATCH_SHA1_HAVE_SHA_NI

#define BONEWATCH_SHA_NI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// The SHA-NI registers of one block: abcd and e (in the high lane) as the
// sha1rnds4 instruction wants them, and the last four groups of the message
// schedule (W[4g..4g+3] for group g, in a ring indexed by g % 4).
struct ShaNiBlock {
  __m128i abcd;
  __m128i e;              // E + W of the group about to run
  __m128i previous_abcd;  // abcd before the group that ran last
  __m128i w[4];
};

// Rounds 4g..4g+3. The message schedule for the next group is
// W[g+1] = msg2(msg1(W[g-3], W[g-2]) ^ W[g-1], W[g]) (FIPS 180-4 §6.1.2 step 1,
// four words at a time), and the next E is derived from this group's abcd.
template <int kGroup>
BONEWATCH_SHA_NI_TARGET inline __attribute__((always_inline)) void ShaNiGroup(ShaNiBlock& s) {
  s.previous_abcd = s.abcd;
  s.abcd = _mm_sha1rnds4_epu32(s.abcd, s.e, kGroup / 5);
  if constexpr (kGroup < 19) {
    constexpr int kNext = kGroup + 1;
    if constexpr (kNext >= 4) {
      __m128i& w = s.w[kNext % 4];
      w = _mm_sha1msg2_epu32(
          _mm_xor_si128(_mm_sha1msg1_epu32(w, s.w[(kNext + 1) % 4]), s.w[(kNext + 2) % 4]),
          s.w[(kNext + 3) % 4]);
    }
    s.e = _mm_sha1nexte_epu32(s.previous_abcd, s.w[kNext % 4]);
  }
}

BONEWATCH_SHA_NI_TARGET void ShaNiBlocks(std::uint32_t* state, const unsigned char* blocks,
                                         std::size_t count) {
  // Message words are big-endian; abcd is kept as the instructions want it
  // (a in the high lane).
  const __m128i byte_swap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0x1B);
  __m128i e = _mm_set_epi32(static_cast<int>(state[4]), 0, 0, 0);
  for (; count > 0; --count, blocks += 64) {
    ShaNiBlock s;
    for (int i = 0; i < 4; ++i) {
      s.w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * i)),
                                byte_swap);
    }
    s.abcd = abcd;
    s.e = _mm_add_epi32(e, s.w[0]);
    ShaNiGroup<0>(s);
    ShaNiGroup<1>(s);
    ShaNiGroup<2>(s);
    ShaNiGroup<3>(s);
    ShaNiGroup<4>(s);
    ShaNiGroup<5>(s);
    ShaNiGroup<6>(s);
    ShaNiGroup<7>(s);
    ShaNiGroup<8>(s);
    ShaNiGroup<9>(s);
    ShaNiGroup<10>(s);
    ShaNiGroup<11>(s);
    ShaNiGroup<12>(s);
    ShaNiGroup<13>(s);
    ShaNiGroup<14>(s);
    ShaNiGroup<15>(s);
    ShaNiGroup<16>(s);
    ShaNiGroup<17>(s);
    ShaNiGroup<18>(s);
    ShaNiGroup<19>(s);
    // The feed-forward: sha1nexte derives the final E from the abcd before the
    // last group and adds the E this block started with.
    e = _mm_sha1nexte_epu32(s.previous_abcd, e);
    abcd = _mm_add_epi32(s.abcd, abcd);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_shuffle_epi32(abcd, 0x1B));
  state[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
}

bool DetectShaNi() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool ssse3 = (ecx & bit_SSSE3) != 0;
  const bool sse41 = (ecx & bit_SSE4_1) != 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool sha = (ebx & (1u << 29)) != 0;  // CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29]
  return ssse3 && sse41 && sha;
}

#endif  // BONEWATCH_SHA1_HAVE_SHA_NI

}  // namespace

bool Sha1::ShaNiSupported() {
#if BONEWATCH_SHA1_HAVE_SHA_NI
  static const bool supported = DetectShaNi();
  return supported;
#else
  return false;
#endif
}

Sha1::Sha1(Implementation implementation) : blocks_(PortableBlocks) {
#if BONEWATCH_SHA1_HAVE_SHA_NI
  if (implementation == Implementation::kShaNi ||
      (implementation == Implementation::kBest && ShaNiSupported())) {
    assert(ShaNiSupported());
    blocks_ = ShaNiBlocks;
  }
#else
  assert(implementation != Implementation::kShaNi);
#endif
  Start();
}

void Sha1::Start() {
  state_ = kInitialState;
  buffered_ = 0;
  length_ = 0;
}

void Sha1::Update(std::string_view bytes) {
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t size = bytes.size();
  length_ += size;
  if (buffered_ > 0) {
    const std::size_t take = std::min(size, buffer_.size() - buffered_);
    std::memcpy(buffer_.data() + buffered_, data, take);
    buffered_ += take;
    data += take;
    size -= take;
    if (buffered_ < buffer_.size()) return;
    blocks_(state_.data(), buffer_.data(), 1);
    buffered_ = 0;
  }
  // Whole blocks straight from the input.
  const std::size_t whole = size / 64;
  if (whole > 0) {
    blocks_(state_.data(), data, whole);
    data += whole * 64;
    size -= whole * 64;
  }
  if (size > 0) std::memcpy(buffer_.data(), data, size);
  buffered_ = size;
}

Sha1Digest Sha1::Finish() {
  // FIPS 180-4 §5.1.1: 0x80, zeros, then the length in bits as 64 bits
  // big-endian, to a multiple of 64 bytes.
  const std::uint64_t bit_length = length_ * 8;
  buffer_[buffered_++] = 0x80;
  if (buffered_ > 56) {
    std::memset(buffer_.data() + buffered_, 0, buffer_.size() - buffered_);
    blocks_(state_.data(), buffer_.data(), 1);
    buffered_ = 0;
  }
  std::memset(buffer_.data() + buffered_, 0, 56 - buffered_);
  StoreBigEndian(static_cast<std::uint32_t>(bit_length >> 32), buffer_.data() + 56);
  StoreBigEndian(static_cast<std::uint32_t>(bit_length), buffer_.data() + 60);
  blocks_(state_.data(), buffer_.data(), 1);
  Sha1Digest digest;
  for (std::size_t i = 0; i < state_.size(); ++i) StoreBigEndian(state_[i], digest.data() + 4 * i);
  Start();
  return digest;
}

Sha1Digest Sha1Of(std::string_view bytes) {
  Sha1 sha1;
  sha1.Update(bytes);
  return sha1.Finish();
}

}  // namespace bonewatch::adapter
