# Structural validation of everything `bonewatch evaluate` writes, with @medplum/core's
# validateResource (tests/validate/validate.js). Included from tests/CMakeLists.txt.
# Needs `npm ci` in tests/fhir-server (scripts/setup.sh does it).
find_program(BONEWATCH_NODE_EXECUTABLE node REQUIRED)
file(GLOB BONEWATCH_GOLDEN_OUTPUTS CONFIGURE_DEPENDS
     ${CMAKE_CURRENT_SOURCE_DIR}/adapter/cases/*.expected.json)
add_test(NAME writeback_validate_golden
         COMMAND ${BONEWATCH_NODE_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/validate/validate.js
                 ${BONEWATCH_GOLDEN_OUTPUTS})
set_tests_properties(writeback_validate_golden PROPERTIES LABELS validate TIMEOUT 120)
# The sample cohort end to end: evaluate it, then validate what would be written.
if(TARGET bonewatch)
  add_test(NAME writeback_validate_sample_cohort
           COMMAND sh -c "\"$1\" evaluate --as-of 2026-03-01 \"$2\" > \"$3\" && \"$4\" \"$5\" \"$3\""
                   sh $<TARGET_FILE:bonewatch> ${CMAKE_CURRENT_SOURCE_DIR}/data/sample-cohort.json
                   ${CMAKE_CURRENT_BINARY_DIR}/sample-cohort.bundle.json
                   ${BONEWATCH_NODE_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/validate/validate.js)
  set_tests_properties(writeback_validate_sample_cohort PROPERTIES LABELS validate TIMEOUT 120)
endif()
