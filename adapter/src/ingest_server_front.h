// RequestFront: the connection handling of the notification endpoint, built so that idle and
// slow clients cannot take the endpoint away from a FHIR server that delivers a notification.
//
// Why not Poco::Net::HTTPServer as it is: its TCPServer hands each accepted connection to a
// worker thread for the connection's whole life, and the worker blocks in recv() until the
// request head arrives (or the 30 s timeout). 200 idle half-open connections occupied every
// worker and filled the connection queue; TCPServer then closed new connections at once, so a
// valid notification was refused ("connection reset", issue 13 item 8).
//
// Design (everything parsed by Poco; no HTTP parser of ours):
//  - One front thread polls (Poco::Net::PollSet, epoll) the listening socket and every
//    connection that has not yet sent a complete request head. It reads what is available
//    without blocking (for HTTPS this includes the TLS handshake, driven by non-blocking
//    SecureStreamSocket calls) and only looks for the blank line that ends the head. A
//    connection costs a buffer and an epoll entry while it is slow, never a thread.
//  - The header time-out is absolute: `header_timeout` after accept (or after the previous
//    answer on a keep-alive connection) the connection is closed, however many bytes it has
//    trickled in. The front checks deadlines on every turn of its loop (at least every 50 ms),
//    so a steady trickle cannot postpone the sweep. Poco's SocketReactor was not used because
//    its onTimeout() fires only on turns without any readable socket, which 1,000 trickling
//    clients never give it.
//  - When the head announces a Content-Length body (up to max_prebuffered_body, within a
//    buffer budget), the front waits for the body as well; Poco's HTTPRequest::read parses
//    the head for that. Chunked bodies and `Expect: 100-continue` go at the end of the head.
//  - A complete request goes, with the bytes already read, to a bounded queue served by a
//    fixed pool of worker threads. The worker replays the bytes (PrefetchedSocketImpl,
//    ingest_server_socket.h) into Poco's HTTPServerSession / HTTPServerRequestImpl, which parse the
//    request; the handler (a Poco HTTPRequestHandler) then reads the body with a receive time-out
//    and a total deadline of the same length. After a keep-alive answer the connection goes back to
//    the front (bytes the session had already buffered are kept).
//  - Queue full: the front answers 503 Service Unavailable with Retry-After itself (a few
//    hundred bytes into an empty socket buffer) and closes. More than `max_connections` open
//    connections: the oldest connection still waiting for its head is closed to make room, so
//    a new connection is always accepted and the slowest clients are the ones that lose.
// Why this meets "1,000 idle or slow connections, a valid notification answered within 2 s":
// the idle connections hold no worker and are not in the queue; a complete request is queued
// as soon as its head arrives (one epoll turn, well under 1 ms for 1,000 sockets) and the
// workers only ever serve complete requests. Measured figures: docs/operations.md
// ("Notification endpoint limits") and IngestServerHostileClientsTest.
//
// Ownership: the front owns the listening socket it is given, every accepted connection, its
// threads and the handler factory. Metrics are borrowed (REQUIRES they outlive the front).
// Thread-safety: Start/Stop from one thread; the handler factory's handlers run on the worker
// threads, concurrently. Exceptions never leave the front or worker threads.
#pragma once

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <memory>

#include "bonewatch/fhir/status.h"
#include "metrics.h"

namespace bonewatch::adapter {

struct RequestFrontOptions {
  int worker_threads = 8;
  int max_queued = 100;        // complete requests waiting for a worker; more: 503
  int max_connections = 1024;  // open connections; more: the oldest still-reading one closes
  std::chrono::milliseconds header_timeout{10000};  // also bounds the body and the TLS handshake
  size_t max_header_bytes = 64 * 1024;  // a head this long is handed to Poco, which rejects it
  // A Content-Length body up to this size is read by the front too (a slow body holds no
  // worker), while all such bodies together stay within max_buffered_bytes.
  size_t max_prebuffered_body = 1024 * 1024;
  size_t max_buffered_bytes = 64 * 1024 * 1024;
  int retry_after_seconds = 1;
  std::chrono::milliseconds drain_timeout{10000};  // Stop(): wait for requests in service
};

// Gauges and counters the front keeps up to date (names are in ingest_server_front.cc):
//   bonewatch_notification_connections{state="reading"|"queued"|"serving"}
//   bonewatch_notification_connections_closed_total{reason="header_timeout"|"evicted"|
//                                                   "refused"|"queue_full"|"accept_failed"}
class RequestFront {
 public:
  // `tls_context` null: plain HTTP. `factory` creates one handler per request.
  RequestFront(RequestFrontOptions options, Poco::Net::Context::Ptr tls_context,
               std::unique_ptr<Poco::Net::HTTPRequestHandlerFactory> factory, Metrics* metrics);
  ~RequestFront();  // Stop()s
  RequestFront(const RequestFront&) = delete;
  RequestFront& operator=(const RequestFront&) = delete;

  // Takes over a bound, listening socket and starts the threads. kFailedPrecondition when
  // already started; kUnavailable when a thread cannot start.
  Status Start(Poco::Net::ServerSocket listening);
  // Stops accepting, closes connections that are still reading their head, lets requests in
  // service finish (bounded by drain_timeout; then their sockets are shut down), joins all
  // threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace bonewatch::adapter
