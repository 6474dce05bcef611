#include "healthcheck_command.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>

#include <iostream>
#include <string>

#include "config.h"
#include "run_services.h"

namespace bonewatch::adapter {
namespace {

std::string ConnectAddress(const std::string& listen_address) {
  if (listen_address.empty() || listen_address == "0.0.0.0") return "127.0.0.1";
  if (listen_address == "::" || listen_address == "[::]") return "::1";
  return listen_address;
}

}  // namespace

int HealthcheckCommand(const std::vector<std::string_view>& args) {
  std::string config_path;
  std::string path = "/healthz";
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else if (args[i] == "--path" && i + 1 < args.size() && args[i + 1].starts_with("/")) {
      path = args[++i];
    } else {
      std::cerr << "usage: bonewatch healthcheck --config FILE [--path /healthz|/readyz]\n";
      return kExitUsage;
    }
  }
  if (config_path.empty()) {
    std::cerr << "usage: bonewatch healthcheck --config FILE [--path /healthz|/readyz]\n";
    return kExitUsage;
  }
  auto config = LoadConfig(config_path, CurrentEnvironment());
  if (!config.ok()) {
    std::cerr << "bonewatch healthcheck: " << config.status().message() << "\n";
    return kExitConfig;
  }
  const std::string host = ConnectAddress((*config)->ops.listen_address);
  const int port = (*config)->ops.port;
  try {
    Poco::Net::HTTPClientSession session(host, static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    session.receiveResponse(response);
    if (response.getStatus() == Poco::Net::HTTPResponse::HTTP_OK) return 0;
    std::cerr << "bonewatch healthcheck: " << host << ":" << port << path << ": HTTP "
              << static_cast<int>(response.getStatus()) << "\n";
  } catch (const Poco::Exception& e) {
    std::cerr << "bonewatch healthcheck: " << host << ":" << port << path << ": " << e.displayText()
              << "\n";
  }
  return 1;
}

}  // namespace bonewatch::adapter
