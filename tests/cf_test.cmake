# Test helpers shared by every part.
#
# cf_unit_test(NAME SOURCES a.c b.c LIBS cf_x [LABELS l] [TIMEOUT s])
#   a cmocka test program, registered with ctest under NAME.
# cf_moto_test(NAME COMMAND cmd args... [ENV K=V ...] [LABELS l] [TIMEOUT s])
#   runs COMMAND under tests/lib/with-moto: a fresh moto_server on a free loopback port,
#   AWS_ENDPOINT_URL and test credentials exported, the server stopped afterwards whatever happens.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
set(CF_WITH_MOTO ${CMAKE_SOURCE_DIR}/tests/lib/with-moto)

function(cf_unit_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "unit;${T_LABELS}"
    ENVIRONMENT "CF_SOURCE_DIR=${CMAKE_SOURCE_DIR};CF_BIN_DIR=${CF_BIN_DIR}")
endfunction()

function(cf_moto_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "COMMAND;ENV;LABELS" ${ARGN})
  add_test(NAME ${name} COMMAND ${CF_WITH_MOTO} -- ${T_COMMAND})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "moto;${T_LABELS}"
    ENVIRONMENT "CF_SOURCE_DIR=${CMAKE_SOURCE_DIR};CF_BIN_DIR=${CF_BIN_DIR};${T_ENV}")
endfunction()
