# ESP-IDF's first pass over a component ("early expansion", tools/cmake/scripts/
# component_get_requirements.cmake of v6.0.2): its CMakeLists.txt is included in CMake SCRIPT mode
# with CMAKE_BUILD_EARLY_EXPANSION set and an idf_component_register macro that only records the
# requirements and returns. file(GLOB ... CONFIGURE_DEPENDS) is an error in script mode, so a
# component that collects its sources unguarded fails here. Run: cmake -DOTA_ROOT=... -P this.
cmake_minimum_required(VERSION 3.20)
set(CMAKE_BUILD_EARLY_EXPANSION 1)

macro(idf_component_register)
  cmake_parse_arguments(_ "" "" "SRCS;INCLUDE_DIRS;PRIV_INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES" "${ARGN}")
  set(__component_requires "${__REQUIRES}")
  set(__component_priv_requires "${__PRIV_REQUIRES}")
  set(__component_registered 1)
  return()
endmacro()

function(ota_requirements dir out)
  set(COMPONENT_DIR ${dir})
  include(${dir}/CMakeLists.txt OPTIONAL)
  if(NOT __component_registered)
    message(FATAL_ERROR "${dir}/CMakeLists.txt did not reach idf_component_register in script mode")
  endif()
  set(${out} "${__component_requires};${__component_priv_requires}" PARENT_SCOPE)
endfunction()

ota_requirements(${OTA_ROOT}/components/ota_service _svc)
ota_requirements(${OTA_ROOT}/examples/esp-idf/ota_example/main _main)
foreach(_want esp_partition app_update esp_http_client mbedtls efuse)
  if(NOT _want IN_LIST _svc)
    message(FATAL_ERROR "ota_service does not require ${_want} (got: ${_svc})")
  endif()
endforeach()
if(NOT "ota_service" IN_LIST _main)
  message(FATAL_ERROR "the example's main does not require ota_service (got: ${_main})")
endif()
message(STATUS "early expansion: ota_service requires ${_svc}; main requires ${_main}")
