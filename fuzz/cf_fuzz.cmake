# cf_fuzz_target(NAME SOURCES a.c LIBS cf_x CORPUS dir)
#   A fuzz target defines LLVMFuzzerTestOneInput(const uint8_t *, size_t).
#   With -DCF_FUZZ=ON (clang, `make fuzz`) it is a libFuzzer program in build-fuzz/fuzz/.
#   Otherwise it is linked with fuzz/replay_main.c and registered with ctest: it replays every
#   file of its corpus and then a bounded number of deterministic mutations of them, so every
#   `make test` (under ASan+UBSan) exercises each parser with hostile input for a bounded time.
set(CF_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
function(cf_fuzz_target name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  if(CF_FUZZ)
    add_executable(${name} ${F_SOURCES})
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    file(APPEND ${CMAKE_BINARY_DIR}/fuzz/targets.txt "${name} ${F_CORPUS}\n")
  elseif(CF_TESTS)
    add_executable(${name} ${F_SOURCES} ${CF_FUZZ_DIR}/replay_main.c)
    target_link_libraries(${name} PRIVATE ${F_LIBS})
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME ${name} COMMAND ${name} ${F_CORPUS})
    set_tests_properties(${name} PROPERTIES TIMEOUT 300 LABELS "fuzz")
  endif()
endfunction()
if(CF_FUZZ)
  file(WRITE ${CMAKE_BINARY_DIR}/fuzz/targets.txt "")
endif()
