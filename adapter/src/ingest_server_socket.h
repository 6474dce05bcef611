// PrefetchedSocketImpl: the socket that RequestFront (ingest_server_front.h) hands to Poco's
// HTTP classes. Reads give first the bytes that the front has already read from the
// connection, then the connection itself (plain TCP, or TLS through a SecureStreamSocket), so
// that Poco's HTTPServerSession / HTTPServerRequestImpl parse a request whose head the front
// has consumed.
//
// Ownership: shares the file descriptor of `raw`, which owns it; close() closes the
// connection (TLS: close_notify when possible, then the descriptor).
// Thread-safety: one thread at a time (the front while the head is read, then one worker);
// ReceiveOverdue() may be called from the front while a worker is in receiveBytes().
// Blocking mode and time-outs are those of `raw` (SecureSocketImpl reads them there).
#pragma once

#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/StreamSocketImpl.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace bonewatch::adapter {

class PrefetchedSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // `io` is `raw` itself, or a SecureStreamSocket attached to it.
  PrefetchedSocketImpl(Poco::Net::StreamSocket raw, Poco::Net::StreamSocket io);
  ~PrefetchedSocketImpl() override;

  using Poco::Net::StreamSocketImpl::receiveBytes;
  using Poco::Net::StreamSocketImpl::sendBytes;

  Poco::Net::StreamSocket& raw() { return raw_; }

  // Front side: one non-blocking read from the connection into the prefetch buffer.
  // > 0 bytes read; 0 the peer closed; < 0 nothing available yet (or a TLS handshake step).
  // Throws Poco exceptions on socket and TLS errors.
  int ReadAvailable();
  // Decrypted TLS bytes that epoll cannot see (0 for plain TCP).
  int TlsPending();
  const std::string& pending() const { return pending_; }
  size_t pending_offset() const { return pending_offset_; }
  // Keep-alive: bytes Poco's session had buffered go back in front of what is left.
  void Unread(const char* data, size_t n);
  // While set, each blocking receive waits at most until `deadline`, then throws
  // Poco::TimeoutException: a slow request cannot hold a worker longer.
  void SetReceiveDeadline(std::optional<SteadyClock::time_point> deadline) { deadline_ = deadline; }
  // A receive is still blocked `grace` after the deadline (TLS records trickled byte by byte
  // keep one SSL_read waiting past SO_RCVTIMEO); the front then shuts the socket down.
  bool ReceiveOverdue(SteadyClock::time_point now, SteadyClock::duration grace) const;

  int receiveBytes(void* buffer, int length, int flags) override;
  int sendBytes(const void* buffer, int length, int flags) override;
  int available() override;
  bool poll(const Poco::Timespan& timeout, int mode) override;
  void close() override;
  void shutdownReceive() override { io_.impl()->shutdownReceive(); }
  void shutdownSend() override { io_.impl()->shutdownSend(); }
  void shutdown() override { io_.impl()->shutdown(); }
  bool secure() const override { return io_.secure(); }
  void setBlocking(bool flag) override { raw_.setBlocking(flag); }
  bool getBlocking() const override { return raw_.getBlocking(); }
  void setReceiveTimeout(const Poco::Timespan& timeout) override {
    raw_.setReceiveTimeout(timeout);
  }
  Poco::Timespan getReceiveTimeout() override { return raw_.getReceiveTimeout(); }
  void setSendTimeout(const Poco::Timespan& timeout) override { raw_.setSendTimeout(timeout); }
  Poco::Timespan getSendTimeout() override { return raw_.getSendTimeout(); }

 private:
  Poco::Net::StreamSocket raw_;
  Poco::Net::StreamSocket io_;  // raw_ itself, or a SecureStreamSocket over it
  std::string pending_;         // read by the front, not yet given to Poco
  size_t pending_offset_ = 0;
  std::optional<SteadyClock::time_point> deadline_;
  std::atomic<bool> receiving_{false};
};

// `d` as a Poco::Timespan, at least 1 ms (a zero time-out would mean "none").
Poco::Timespan AtLeastOneMs(std::chrono::steady_clock::duration d);

}  // namespace bonewatch::adapter
