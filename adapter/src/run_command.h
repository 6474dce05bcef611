// `bonewatch run --config FILE [--daemon] [--as-of YYYY-MM-DD]`: the daemon.
//
// A Poco::Util::ServerApplication (foreground under systemd/Kubernetes;
// --daemon detaches the classic way). The application reads the config and
// passes plain values down (run_services.h); components never call
// Application::instance().
//
// Start order: config -> logger -> metrics -> store -> rules -> mappings ->
// mapper -> FHIR client -> ops server -> notification endpoint -> worker loop
// (subscriptions ensured from the loop, retried, never fatal). Stop order is
// the reverse: on SIGTERM/SIGINT the notification endpoint stops accepting,
// the worker finishes the step in progress, and the process exits 0 within
// Config::shutdown_grace_seconds (if a step is still running at the deadline
// the process exits 0 anyway: every step is idempotent and resumes from the
// durable inbox).
//
// Exit codes: 0 after a signal; 64 usage; 78 (EX_CONFIG) for a configuration,
// rules or mappings error (the message names the file and the field); 70 when
// the store or a port cannot be opened at start.
//
// --as-of / BONEWATCH_TEST_TODAY is a TEST-ONLY hook fixing "today" for
// evaluation (run_clock.h). It is not in the usage text on purpose.
#pragma once

#include <string_view>
#include <vector>

namespace bonewatch::adapter {

int RunCommand(const std::vector<std::string_view>& args);

}  // namespace bonewatch::adapter
