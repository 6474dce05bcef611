// SHA-1 (FIPS 180-4) for the deterministic urn:uuid fullUrls (RFC 4122
// version 5 UUIDs, see writeback_identity.h).
//
// Purpose: `bonewatch evaluate` makes a few name-based UUIDs per patient, so
// hashing is on its hot path. Poco::SHA1Engine is a generic DigestEngine: it
// copies its input byte by byte, and its digest() allocates a vector. This one
// hashes several pieces without joining them first, copies only the bytes of a
// partial block (with memcpy), never allocates, and uses the x86 SHA
// extensions (SHA-NI) when the CPU has them, chosen at run time so that the
// binary still runs on CPUs without them.
//
// NOT for security: SHA-1 is broken for collision resistance. It is used here
// only because RFC 4122 version 5 UUIDs are defined with it.
//
// Thread-safety: a Sha1 object is not thread-safe; use one per thread.
// Different objects may be used concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bonewatch::adapter {

using Sha1Digest = std::array<unsigned char, 20>;

// Incremental SHA-1: Update() any number of pieces, then Finish(). The digest
// is the SHA-1 of the concatenation of the pieces, wherever they are split.
class Sha1 {
 public:
  // Which block function to use. kBest picks SHA-NI when the CPU supports it;
  // the other two exist so that tests can check each one.
  enum class Implementation { kBest, kPortable, kShaNi };

  // REQUIRES: implementation != kShaNi || ShaNiSupported().
  explicit Sha1(Implementation implementation = Implementation::kBest);

  void Update(std::string_view bytes);
  // The digest of everything given since construction or the last Finish();
  // the object then starts a new message.
  Sha1Digest Finish();

  // Whether this CPU (and build) can run the SHA-NI block function.
  static bool ShaNiSupported();

 private:
  // Hashes `count` consecutive 64-byte blocks into `state`.
  using BlockFunction = void (*)(std::uint32_t* state, const unsigned char* blocks,
                                 std::size_t count);

  void Start();

  BlockFunction blocks_;
  std::array<std::uint32_t, 5> state_;
  std::array<unsigned char, 64> buffer_;  // the pending partial block
  std::size_t buffered_ = 0;              // bytes of buffer_ in use, < 64
  std::uint64_t length_ = 0;              // message length so far, in bytes
};

// The SHA-1 of `bytes` (kBest implementation).
Sha1Digest Sha1Of(std::string_view bytes);

}  // namespace bonewatch::adapter
