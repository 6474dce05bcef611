# Self-tests of the test FHIR server (node --test). Included from tests/CMakeLists.txt.
# Needs `npm ci` to have run in tests/fhir-server (scripts/setup does it).
find_program(BONEWATCH_NODE_EXECUTABLE node REQUIRED)
add_test(NAME fhir_server_selftest
         COMMAND ${BONEWATCH_NODE_EXECUTABLE} --test ${CMAKE_CURRENT_SOURCE_DIR}/fhir-server/test/
         WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/fhir-server)
set_tests_properties(fhir_server_selftest PROPERTIES LABELS fhir_server TIMEOUT 120)
