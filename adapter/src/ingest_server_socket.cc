#include "ingest_server_socket.h"

#include <Poco/Exception.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace bonewatch::adapter {

Poco::Timespan AtLeastOneMs(std::chrono::steady_clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(std::max<int64_t>(us, 1000)));
}

PrefetchedSocketImpl::PrefetchedSocketImpl(Poco::Net::StreamSocket raw, Poco::Net::StreamSocket io)
    : raw_(std::move(raw)), io_(std::move(io)) {
  reset(raw_.impl()->sockfd());
}

PrefetchedSocketImpl::~PrefetchedSocketImpl() { reset(); }  // the fd belongs to raw_

int PrefetchedSocketImpl::ReadAvailable() {
  char buffer[4096];
  const int n = io_.impl()->receiveBytes(buffer, sizeof buffer, 0);
  if (n > 0) pending_.append(buffer, static_cast<size_t>(n));
  return n;
}

int PrefetchedSocketImpl::TlsPending() { return io_.secure() ? io_.impl()->available() : 0; }

void PrefetchedSocketImpl::Unread(const char* data, size_t n) {
  std::string rest = pending_.substr(pending_offset_);
  pending_ = n > 0 ? std::string(data, n) : std::string();
  pending_ += rest;
  pending_offset_ = 0;
}

bool PrefetchedSocketImpl::ReceiveOverdue(SteadyClock::time_point now,
                                          SteadyClock::duration grace) const {
  return receiving_.load() && deadline_.has_value() && now > *deadline_ + grace;
}

int PrefetchedSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  if (pending_offset_ < pending_.size()) {
    const size_t n = std::min(pending_.size() - pending_offset_, static_cast<size_t>(length));
    std::memcpy(buffer, pending_.data() + pending_offset_, n);
    pending_offset_ += n;
    if (pending_offset_ == pending_.size()) {
      pending_.clear();
      pending_offset_ = 0;
    }
    return static_cast<int>(n);
  }
  if (deadline_.has_value() && raw_.getBlocking()) {
    const auto left = *deadline_ - SteadyClock::now();
    if (left <= SteadyClock::duration::zero()) {
      throw Poco::TimeoutException("request not received within the header time-out");
    }
    raw_.setReceiveTimeout(AtLeastOneMs(left));
  }
  struct Receiving {
    std::atomic<bool>& flag;
    explicit Receiving(std::atomic<bool>& f) : flag(f) { flag = true; }
    ~Receiving() { flag = false; }
  } receiving(receiving_);
  return io_.impl()->receiveBytes(buffer, length, flags);
}

int PrefetchedSocketImpl::sendBytes(const void* buffer, int length, int flags) {
  return io_.impl()->sendBytes(buffer, length, flags);
}

int PrefetchedSocketImpl::available() {
  return static_cast<int>(pending_.size() - pending_offset_) + io_.impl()->available();
}

bool PrefetchedSocketImpl::poll(const Poco::Timespan& timeout, int mode) {
  if ((mode & SELECT_READ) != 0 && pending_offset_ < pending_.size()) return true;
  return io_.impl()->poll(timeout, mode);
}

void PrefetchedSocketImpl::close() {
  reset();
  io_.close();  // TLS: close_notify when possible, then the fd
}

}  // namespace bonewatch::adapter
