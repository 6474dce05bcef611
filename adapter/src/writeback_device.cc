#include "writeback_device.h"

namespace bonewatch::adapter {

fhir::Json BuildDevice(const WritebackOptions& options) {
  using fhir::Json;
  return Json::Object()
      .Set("resourceType", "Device")
      .Set("meta", WritebackMeta(options))
      .Set("identifier", Json::Array().Push(IdentifierJson(options.DeviceIdentifierSystem(),
                                                           kDeviceIdentifierValue)))
      .Set("status", "active")
      .Set("deviceName",
           Json::Array().Push(
               Json::Object().Set("name", "BoneWatch").Set("type", "user-friendly-name")));
}

std::string DeviceConditionalQuery(const WritebackOptions& options) {
  return IdentifierQuery(options.DeviceIdentifierSystem(), kDeviceIdentifierValue);
}

}  // namespace bonewatch::adapter
