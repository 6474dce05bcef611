#include "store.h"

namespace bonewatch::adapter {
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  return UnimplementedError("sqlite store " + path + ": not yet");
}
}  // namespace bonewatch::adapter
