// The curl transport's TLS options against a local Node.js HTTPS server using certificates made
// by `openssl` for this test: peer verification on by default, a custom CA bundle, and mTLS.
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bonewatch/fhir/http.h"

namespace bonewatch::fhir {
namespace {

namespace fs = std::filesystem;

// Answers every request with 200 and a tiny FHIR body. argv: cert key [client-ca].
// Exits when its stdin closes, so it never outlives the test.
constexpr char kServerScript[] = R"js(
const https = require('node:https');
const fs = require('node:fs');
const [certFile, keyFile, clientCa] = process.argv.slice(1);
const options = { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
if (clientCa) Object.assign(options, { ca: fs.readFileSync(clientCa), requestCert: true, rejectUnauthorized: true });
const server = https.createServer(options, (req, res) => {
  res.writeHead(200, { 'content-type': 'application/fhir+json' });
  res.end('{"resourceType":"CapabilityStatement"}');
});
server.listen(0, '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
)js";

class HttpsServer {
 public:
  static std::unique_ptr<HttpsServer> Start(const std::vector<std::string>& args) {
    const char* node_env = std::getenv("BONEWATCH_NODE");
    std::vector<std::string> argv = {"-e", kServerScript};
    argv.insert(argv.end(), args.begin(), args.end());
    auto server = std::unique_ptr<HttpsServer>(new HttpsServer);
    server->handle_.emplace(Poco::Process::launch(node_env != nullptr ? node_env : "node", argv,
                                                  &server->in_, &server->out_, nullptr));
    Poco::PipeInputStream out(server->out_);
    std::string line;
    if (!std::getline(out, line) || line.rfind("LISTENING ", 0) != 0) return nullptr;
    server->port_ = std::stoi(line.substr(10));
    return server;
  }
  ~HttpsServer() {
    in_.close();  // the script exits when stdin closes
    if (handle_) handle_->wait();
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(port_) + "/fhir/metadata";
  }

 private:
  HttpsServer() = default;
  Poco::Pipe in_, out_;
  std::optional<Poco::ProcessHandle> handle_;
  int port_ = 0;
};

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("bonewatch-tls-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    MakeCert("server", "IP:127.0.0.1");
    MakeCert("client", "DNS:bonewatch-client");
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // A self-signed EC certificate and key: <dir>/<name>.pem and <dir>/<name>.key.
  static void MakeCert(const std::string& name, const std::string& san) {
    std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 1 -subj /CN=" +
        name + " -addext subjectAltName=" + san + " -keyout " + Path(name + ".key") + " -out " +
        Path(name + ".pem") + " 2>/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  static std::string Path(const std::string& file) { return (dir_ / file).string(); }

  static StatusOr<HttpResponse> Get(const CurlTransportOptions& options, const std::string& url,
                                    SendFailure* failure = nullptr) {
    auto transport = NewCurlTransport(options);
    if (!transport.ok()) return transport.status();
    return (*transport)->Send({"GET", url, {}, ""}, failure);
  }

  static inline fs::path dir_;  // per process: ctest may run tests in parallel processes
};

TEST_F(TlsTest, UnknownCertificateIsRejectedByDefault) {
  auto server = HttpsServer::Start({Path("server.pem"), Path("server.key")});
  ASSERT_NE(server, nullptr);
  SendFailure failure = SendFailure::kMaybeSent;
  StatusOr<HttpResponse> response = Get({}, server->url(), &failure);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("GET " + server->url()), std::string::npos);
  EXPECT_NE(response.status().message().find("certificate"), std::string::npos)
      << response.status().message();
  EXPECT_EQ(failure, SendFailure::kNotSent);
}

TEST_F(TlsTest, CaBundleMakesTheServerTrusted) {
  auto server = HttpsServer::Start({Path("server.pem"), Path("server.key")});
  ASSERT_NE(server, nullptr);
  CurlTransportOptions options;
  options.tls.ca_bundle_path = Path("server.pem");
  StatusOr<HttpResponse> response = Get(options, server->url());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200);
}

TEST_F(TlsTest, VerificationCanBeTurnedOff) {
  auto server = HttpsServer::Start({Path("server.pem"), Path("server.key")});
  ASSERT_NE(server, nullptr);
  CurlTransportOptions options;
  options.tls.verify_peer = false;
  options.tls.verify_host = false;
  StatusOr<HttpResponse> response = Get(options, server->url());
  ASSERT_TRUE(response.ok()) << response.status().ToString();
}

TEST_F(TlsTest, MutualTlsNeedsTheClientCertificate) {
  auto server = HttpsServer::Start({Path("server.pem"), Path("server.key"), Path("client.pem")});
  ASSERT_NE(server, nullptr);
  CurlTransportOptions options;
  options.tls.ca_bundle_path = Path("server.pem");
  StatusOr<HttpResponse> without = Get(options, server->url());
  EXPECT_FALSE(without.ok() && without->status == 200);

  options.tls.client_cert_path = Path("client.pem");
  options.tls.client_key_path = Path("client.key");
  StatusOr<HttpResponse> with = Get(options, server->url());
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  EXPECT_EQ(with->status, 200);
}

TEST_F(TlsTest, ClientCertificateWithoutKeyIsAConfigError) {
  CurlTransportOptions options;
  options.tls.client_cert_path = Path("client.pem");
  auto transport = NewCurlTransport(options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bonewatch::fhir
