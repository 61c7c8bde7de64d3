# ctest helper: runs a wasm test program (SCRIPT) under a given Node binary (NODE), e.g. the Node 22 and
# 24 that scripts/setup.sh installs in tools/node-runtimes/, which have relaxed SIMD. A missing Node
# prints "SKIP: …", which ctest reports as skipped (SKIP_REGULAR_EXPRESSION).
if(NOT EXISTS "${NODE}")
  message("SKIP: ${NODE} not found: run npm run setup (or npm ci --prefix tools/node-runtimes)")
  return()
endif()
execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
message(STATUS "Node ${version}: ${SCRIPT}")
execute_process(COMMAND "${NODE}" "${SCRIPT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "failed under Node ${version} (exit ${rc})")
endif()
