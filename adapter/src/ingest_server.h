// NotificationServer: the rest-hook endpoint. Receives what FHIR servers send (Medplum POST of
// the bare resource, HAPI PUT {endpoint}/{type}/{id}, empty bodies, Medplum delete notices,
// R4B/backport notification Bundles), checks it, stores it durably in the Store inbox, and only
// then answers 2xx (architecture "Delivery is at least once").
//
// Routes: POST/PUT /fhir/notify and /fhir/notify/{type}/{id} (the latter sets InboxItem.hint).
// Transport: HTTPS only (TLS 1.2+, no client certificates) when tls_cert_file/tls_key_file are
// set, else plain HTTP (the config parser allows that on loopback or with allowPlainHttp).
// Connections: accepted and read by a RequestFront (ingest_server_front.h): a connection holds
// no worker thread until its request head is complete; `header_timeout_seconds` after accept
// (or after the previous answer) a connection without a complete head is closed; at most
// `max_queued_requests` complete requests wait for the `max_threads` workers, more get 503.
// Answers (reason phrases from Poco's HTTPStatus: "401 Unauthorized", never "401 OK"):
//   403  the client address is outside allowed_clients (checked first, before anything else)
//   401  shared-secret header missing/wrong (constant-time compare), `Authorization: Bearer`
//        token missing/wrong (constant-time; the answer carries WWW-Authenticate: Bearer), or
//        x-signature (hex HMAC-SHA256 of the body, optional "sha256=" prefix) missing/wrong.
//        Every configured check must pass.
//   413  body over max_body_bytes (Content-Length checked first, chunked bodies while reading)
//   400  malformed JSON or a shape DecodeInboxItem rejects, or a body whose resourceType/id
//        differ from the {type}/{id} of the URL (OperationOutcome; nothing stored); a request
//        head Poco cannot parse (no body)
//   404/405 other paths/methods
//   503  the Store could not enqueue, or the request queue is full; with Retry-After
//        (the sender retries)
//   500  any unexpected exception (never crashes the process)
//   200  stored (or nothing to do: own writes, handshakes); then `wake` is called.
// Metrics: bonewatch_notifications_received_total{result=stored|ignored|forbidden|unauthorized|
// too_large|malformed|not_found|method_not_allowed|store_error|error}, bonewatch_inbox_depth.
// The stored headers_json keeps only content-type and the x-medplum-* headers (never secrets).
//
// Ownership: borrows the Store, Metrics, Logger and Clock; REQUIRES they outlive the server.
// Thread-safety: requests run on the front's worker threads; Start/Stop from one thread.
// Stop() stops accepting, waits (bounded) for in-flight requests, and is idempotent.
#pragma once

#include <Poco/Net/Context.h>

#include <functional>
#include <memory>
#include <string>

#include "bonewatch/fhir/status.h"
#include "clock.h"
#include "config.h"
#include "logger.h"
#include "metrics.h"
#include "store.h"

namespace bonewatch::adapter {

struct NotificationServerDeps {
  Store* store = nullptr;        // REQUIRED
  Metrics* metrics = nullptr;    // REQUIRED
  Logger* logger = nullptr;      // REQUIRED
  const Clock* clock = nullptr;  // REQUIRED
  std::function<void()> wake;    // optional; called after each stored notification
  // meta.tag system of our own writes ({base}/CodeSystem/tag): such bodies are not stored.
  std::string own_tag_system = "http://bonewatch.example/fhir/CodeSystem/tag";
  int max_threads = 8;  // workers that serve complete requests
  int drain_timeout_ms = 10000;
};

class NotificationServer {
 public:
  NotificationServer(Config::Notifications config, NotificationServerDeps deps);
  ~NotificationServer();  // Stop()s
  NotificationServer(const NotificationServer&) = delete;
  NotificationServer& operator=(const NotificationServer&) = delete;

  // Binds listen_address:port (0 = ephemeral) and starts serving. kUnavailable when the
  // address cannot be bound; kInvalidArgument when the TLS files cannot be loaded or the
  // allow-list is invalid (configuration errors); kFailedPrecondition when already started.
  Status Start();
  void Stop();
  // The bound port; 0 before Start().
  int port() const;

  struct Impl;  // public only for the request handler in the .cc

 private:
  std::unique_ptr<Impl> impl_;
};

// The server-side TLS context of the endpoint: certificate chain and key (PEM) from the files,
// TLS 1.2 and later, strong ciphers only, no client certificates. kInvalidArgument naming the
// files when they cannot be loaded (missing, unreadable, not PEM, key does not match).
StatusOr<Poco::Net::Context::Ptr> ServerTlsContext(const Config::Notifications& config);

// Lower-case hex HMAC-SHA256 of `body` keyed by `secret` (what Medplum sends in x-signature).
std::string HmacSha256Hex(const std::string& secret, const std::string& body);
// Compares without an early exit on the first difference.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace bonewatch::adapter
