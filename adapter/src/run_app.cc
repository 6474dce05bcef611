#include "run_app.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "bonewatch/fhir/json.h"
#include "ingest_decode.h"
#include "ingest_history.h"
#include "ingest_poller.h"
#include "ingest_reconcile.h"
#include "ingest_server.h"
#include "ingest_subscription_health.h"
#include "ingest_subscriptions.h"
#include "ops_metric_names.h"
#include "ops_server.h"
#include "run_services.h"
#include "run_signal.h"
#include "run_worker.h"

namespace bonewatch::adapter {
namespace {

using std::chrono::steady_clock;

// Readiness of the FHIR server: a background thread asks for /metadata every
// `interval`; the server is "reachable" while the last answer is recent.
class FhirReachability {
 public:
  FhirReachability(const fhir::Client& client, Logger& logger, std::chrono::seconds interval)
      : client_(client), logger_(logger), interval_(interval) {}
  ~FhirReachability() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  // Asks the probe thread to end; true once it has (joined) within `deadline`.
  bool Stop(std::chrono::milliseconds deadline = std::chrono::hours(1)) {
    stop_.Stop();
    if (!thread_.joinable()) return true;
    std::unique_lock lock(done_mutex_);
    if (!done_cv_.wait_for(lock, deadline, [this] { return done_; })) return false;
    lock.unlock();
    thread_.join();
    return true;
  }
  Status Check() const {
    const int64_t last = last_ok_ms_.load();
    if (last == 0) return UnavailableError("no answer to " + client_.base_url() + "/metadata yet");
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(
        steady_clock::now().time_since_epoch() - std::chrono::milliseconds(last));
    if (age > 3 * interval_) {
      return UnavailableError("no answer to /metadata for " + std::to_string(age.count()) + " s");
    }
    return Status();
  }

 private:
  void Run() {
    bool was_ok = false;
    while (!stop_.stopping()) {
      auto result = client_.Capabilities();
      if (result.ok()) {
        last_ok_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                          steady_clock::now().time_since_epoch())
                          .count();
        if (!was_ok) logger_.Info("fhir.reachable", {{"base", client_.base_url()}});
      } else if (was_ok || last_ok_ms_.load() == 0) {
        logger_.Warn("fhir.unreachable", {{"error", result.status().message()}});
      }
      was_ok = result.ok();
      (void)stop_.WaitFor(std::chrono::duration_cast<std::chrono::milliseconds>(interval_));
    }
    std::lock_guard lock(done_mutex_);
    done_ = true;
    done_cv_.notify_all();
  }
  const fhir::Client& client_;
  Logger& logger_;
  const std::chrono::seconds interval_;
  WorkSignal stop_;
  std::thread thread_;
  std::mutex done_mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;  // GUARDED_BY(done_mutex_)
  std::atomic<int64_t> last_ok_ms_{0};
};

std::string StatusJson(DaemonServices& s, const WorkerLoop& worker,
                       const SubscriptionHealth* subscriptions) {
  fhir::Json j = fhir::Json::Object();
  auto inbox = s.store->InboxDepth();
  auto dirty = s.store->DirtyCount();
  // The worker's flag is set at the end of a pass; an item acknowledged by
  // the pass in progress is still a dirty patient until it is written back.
  j.Set("converged", worker.converged() && inbox.ok() && *inbox == 0 && dirty.ok() && *dirty == 0);
  j.Set("passes", static_cast<int64_t>(worker.passes()));
  auto dead = s.store->DeadLetterDepth();
  auto patients = s.store->PatientIds();
  j.Set("inbox", static_cast<int64_t>(inbox.ok() ? *inbox : 0));
  j.Set("deadLetters", static_cast<int64_t>(dead.ok() ? *dead : 0));
  j.Set("patients", static_cast<int64_t>(patients.ok() ? patients->size() : 0));
  j.Set("evaluations", s.metrics.Total(metric::kEvaluations));
  j.Set("writes", s.metrics.Total(metric::kWrites));
  if (subscriptions != nullptr) j.Set("subscriptions", subscriptions->ToJson());
  return j.Serialize();
}

}  // namespace

int DaemonApp::main(const std::vector<std::string>& /*args*/) {
  ServicesOptions services_options;
  services_options.config_path = options_.config_path;
  services_options.as_of = options_.as_of;
  auto opened = OpenServices(services_options);
  if (!opened.ok()) {
    std::cerr << "bonewatch run: " << opened.status().message() << "\n";
    return opened.status().code() == StatusCode::kInvalidArgument ? kExitConfig : kExitSoftware;
  }
  DaemonServices& s = **opened;
  const Config& c = *s.config;
  Logger& log = *s.logger;
  const auto started = steady_clock::now();
  log.Info("daemon.starting", {{"version", BONEWATCH_VERSION},
                               {"config", c.source_path},
                               {"fhir", c.fhir.base_url},
                               {"time_zone", c.time_zone.Name()}});

  WorkSignal signal;
  const std::vector<mappings::Criteria> criteria = s.mapper->mappings().CriteriaLists();
  HistoryFetch fetch_history = [&s, &c, &criteria](const std::string& patient_id) {
    return FetchPatientHistory(*s.client, patient_id, c.inputs, criteria);
  };

  FhirReachability reachability(*s.client, log, std::chrono::seconds(10));
  OpsServerOptions ops_options;
  ops_options.listen_address = c.ops.listen_address;
  ops_options.port = c.ops.port;
  ops_options.readiness.push_back({"store", [&s] {
                                     auto depth = s.store->InboxDepth();
                                     return depth.ok() ? Status() : depth.status();
                                   }});
  ops_options.readiness.push_back({"fhir", [&reachability] { return reachability.Check(); }});

  WorkerSteps steps;
  // Start-up reconciliation: every known patient is evaluated once, because the
  // rules, mappings or binary may have changed since the last run (crash
  // recovery does not need it: dirty marks stay until written, store.h).
  // Unchanged results write nothing.
  steps.at_start = [&s, &log] {
    auto ids = s.store->PatientIds();
    if (!ids.ok()) return ids.status();
    // One store transaction (one fsync) per 1000 marks, not one per patient;
    // short enough that the notification endpoint's Enqueue hardly waits.
    constexpr size_t kMarksPerBatch = 1000;
    for (size_t begin = 0; begin < ids->size(); begin += kMarksPerBatch) {
      StoreBatch batch(*s.store);
      for (size_t i = begin; i < std::min(ids->size(), begin + kMarksPerBatch); ++i) {
        RETURN_IF_ERROR(s.store->MarkDirty((*ids)[i]));
      }
      RETURN_IF_ERROR(batch.Commit());
    }
    log.Info("daemon.reconcile", {{"patients", std::to_string(ids->size())}});
    return Status();
  };
  steps.today = [&s, &c] { return TodayAt(s.eval_clock().Now(), c.time_zone); };
  steps.schedule = [&s](rules::Date today) { return s.scheduler->RunOnce(today); };
  steps.process_inbox = [&s](size_t n) { return s.pipeline->ProcessInbox(n); };
  steps.evaluate_dirty = [&s](size_t n) { return s.pipeline->EvaluateDirty(n); };
  steps.update_gauges = [&s, started] {
    s.pipeline->UpdateGauges();
    s.metrics.SetGauge(metric::kUptime, {},
                       std::chrono::duration<double>(steady_clock::now() - started).count());
  };
  ServerReadDeps read_deps;
  read_deps.client = s.client.get();
  read_deps.store = s.store.get();
  read_deps.metrics = &s.metrics;
  read_deps.logger = &log;
  read_deps.clock = &s.system_clock;
  std::unique_ptr<Poller> poller;
  if (c.poller.enabled) {
    poller = std::make_unique<Poller>(c.poller, c.inputs, s.mapper->mappings().CriteriaLists(),
                                      PollerDeps{read_deps});
    steps.poll = [&poller] { return poller->RunOnce(); };
  }
  std::unique_ptr<Reconciler> reconciler;
  if (c.reconcile.enabled) {
    reconciler = std::make_unique<Reconciler>(c.reconcile, read_deps);
    // With the poll, which it follows: a pass when its interval has passed.
    steps.poll = [&poller, &reconciler] {
      Status polled = poller ? poller->RunOnce() : Status::Ok();
      Status reconciled = reconciler->RunIfDue();
      return polled.ok() ? reconciled : polled;
    };
  }
  std::unique_ptr<SubscriptionManager> subscriptions;
  std::unique_ptr<SubscriptionHealth> subscription_health;
  if (c.subscriptions.enabled && c.notifications.enabled) {
    subscription_health = std::make_unique<SubscriptionHealth>(&s.metrics);
    SubscriptionManagerDeps subscription_deps;
    subscription_deps.client = s.client.get();
    subscription_deps.logger = &log;
    subscription_deps.canonical_base = c.canonical_base;
    subscription_deps.clock = &s.system_clock;
    subscription_deps.metrics = &s.metrics;
    subscription_deps.health = subscription_health.get();
    subscription_deps.activation_timeout =
        std::chrono::seconds(c.subscriptions.activation_timeout_seconds);
    subscriptions = std::make_unique<SubscriptionManager>(
        c.notifications, c.inputs, s.mapper->mappings().CriteriaLists(), subscription_deps);
    steps.ensure_subscriptions = [&subscriptions] { return subscriptions->Ensure(); };
    steps.subscriptions_delivering = [&subscription_health] {
      return subscription_health->Delivering();
    };
  }
  PipelineDeps pipeline_deps{
      c,         *s.store, *s.client,      *s.mapper,     s.ruleset,
      s.metrics, log,      s.eval_clock(), fetch_history, [&signal] { signal.RequestPoll(); }};
  if (subscription_health) {
    pipeline_deps.on_delivery = [&subscription_health](const std::string& id,
                                                       const std::string& at) {
      subscription_health->RecordDelivery(id, at);
    };
  }
  s.pipeline = std::make_unique<Pipeline>(std::move(pipeline_deps));
  WorkerOptions worker_options;
  worker_options.poll_interval = std::chrono::seconds(std::max(1, c.poller.interval_seconds));
  worker_options.degraded_poll_interval =
      std::chrono::seconds(std::max(1, c.poller.degraded_interval_seconds));
  worker_options.subscription_check_interval =
      std::chrono::seconds(c.subscriptions.check_interval_seconds);
  // While one is not active, look again when its activation time limit may have passed.
  worker_options.degraded_subscription_check_interval =
      std::chrono::seconds(std::max(1, std::min(c.subscriptions.check_interval_seconds,
                                                c.subscriptions.activation_timeout_seconds)));
  worker_options.niceness = c.worker_niceness;
  WorkerLoop worker(std::move(steps), worker_options, signal, s.metrics, log);
  ops_options.status = [&s, &worker, &subscription_health] {
    return StatusJson(s, worker, subscription_health.get());
  };

  auto ops = OpsServer::Start(ops_options, s.metrics);
  if (!ops.ok()) {
    log.Error("daemon.ops_failed", {{"error", ops.status().message()}});
    return kExitSoftware;
  }
  log.Info("ops.listening", {{"port", std::to_string((*ops)->port())}});

  std::unique_ptr<NotificationServer> notifications;
  if (c.notifications.enabled) {
    NotificationServerDeps deps;
    deps.store = s.store.get();
    deps.metrics = &s.metrics;
    deps.logger = &log;
    deps.clock = &s.system_clock;
    deps.wake = [&signal] { signal.Wake(); };
    deps.own_tag_system = OwnTagSystem(c.canonical_base);
    notifications = std::make_unique<NotificationServer>(c.notifications, deps);
    if (Status started_ok = notifications->Start(); !started_ok.ok()) {
      log.Error("daemon.notifications_failed", {{"error", started_ok.message()}});
      // Unloadable TLS files are a configuration error: no restart loop (exit 78).
      if (started_ok.code() == StatusCode::kInvalidArgument) {
        std::cerr << "bonewatch run: " << c.source_path << ": " << started_ok.message() << "\n";
        return kExitConfig;
      }
      return kExitSoftware;
    }
    log.Info("notifications.listening",
             {{"port", std::to_string(notifications->port())},
              {"tls", c.notifications.tls_cert_file.empty() ? "off" : "on"}});
  }

  reachability.Start();
  worker.Start();
  log.Info("daemon.started");

  waitForTerminationRequest();

  const auto grace = std::chrono::seconds(std::max(1, c.shutdown_grace_seconds));
  const auto deadline = steady_clock::now() + grace;
  log.Info("daemon.stopping", {{"grace_seconds", std::to_string(grace.count())}});
  if (notifications) notifications->Stop();
  const auto left = [deadline] {
    return std::max(std::chrono::milliseconds(100),
                    std::chrono::duration_cast<std::chrono::milliseconds>(
                        deadline - steady_clock::now() - std::chrono::milliseconds(500)));
  };
  if (!worker.Stop(left()) || !reachability.Stop(left())) {
    // A step is still running (a slow FHIR request): all work is idempotent
    // and resumes from the durable inbox, so leave now rather than overrun.
    log.Warn("daemon.grace_exceeded", {{"grace_seconds", std::to_string(grace.count())}});
    std::cerr.flush();
    ::_exit(0);
  }
  (*ops)->Stop();
  log.Info("daemon.stopped");
  return 0;
}

}  // namespace bonewatch::adapter
