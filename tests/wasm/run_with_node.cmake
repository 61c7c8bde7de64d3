# ctest helper: runs a wasm test program (SCRIPT) under a given Node binary (NODE), e.g. the Node 22 and
# 24 of package.json's devDependencies, which have relaxed SIMD.
if(NOT EXISTS "${NODE}")
  message(FATAL_ERROR "${NODE} not found: run npm ci (devDependencies node22/node24)")
endif()
execute_process(COMMAND "${NODE}" --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
message(STATUS "Node ${version}: ${SCRIPT}")
execute_process(COMMAND "${NODE}" "${SCRIPT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "failed under Node ${version} (exit ${rc})")
endif()
