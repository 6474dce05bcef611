// OpsServer: the daemon's operations port (Poco HTTPServer), separate from the
// notification endpoint.
//
//   GET /healthz  200 "ok" while the process runs.
//   GET /readyz   200 "ready" when every readiness probe passes; otherwise 503
//                 with one line per failing probe ("fhir: no answer to /metadata
//                 for 93 s").
//   GET /metrics  Metrics::RenderPrometheus(), Content-Type
//                 "text/plain; version=0.0.4; charset=utf-8".
//   GET /status   a JSON object from OpsServerOptions::status (when set):
//                 convergence state for operators and the demo.
// Anything else is 404; a method other than GET/HEAD is 405.
//
// Probes and the status function are injected (no globals); they run on
// Poco's server threads and must be thread-safe and quick. They must not
// throw; an exception is answered 500.
//
// Ownership: the OpsServer does not own `metrics`. REQUIRES: `metrics` and
// everything the probes capture outlive the OpsServer (Stop() or destroy it
// first). Thread-safety: port() may be called from any thread; Stop() once,
// from the owner.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bonewatch/fhir/status.h"
#include "metrics.h"

namespace bonewatch::adapter {

struct ReadinessProbe {
  std::string name;               // "store", "fhir"
  std::function<Status()> check;  // OK when ready; the message says why not
};

struct OpsServerOptions {
  std::string listen_address = "127.0.0.1";
  int port = 0;  // 0: an ephemeral port (see OpsServer::port())
  std::vector<ReadinessProbe> readiness;
  std::function<std::string()> status;  // JSON object text for /status; empty: 404
  int max_threads = 4;
};

class OpsServer {
 public:
  // Binds and starts serving; kUnavailable naming the address when it cannot bind.
  static StatusOr<std::unique_ptr<OpsServer>> Start(OpsServerOptions options, Metrics& metrics);
  ~OpsServer();
  OpsServer(const OpsServer&) = delete;
  OpsServer& operator=(const OpsServer&) = delete;

  // The bound port (the ephemeral one when options.port was 0).
  int port() const;
  // Stops accepting and waits for in-flight requests. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit OpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bonewatch::adapter
