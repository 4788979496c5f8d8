# Registers the 32-bit unit tests (issue 12): tests/m32 built -m32 as an ExternalProject, each
# test run by run_m32.sh - natively where the kernel runs i386 programs, else under qemu-i386
# (qemu-user; kernels without IA32 emulation, such as this project's VMs). Included from
# tests/CMakeLists.txt. ASan is left to the 64-bit run (its shadow memory does not map under
# qemu-user); the 32-bit build has UBSan.
#
# The tests that need no HTTP, OpenSSL or zlib (no :i386 packages of those): name=sources.
set(OTA_M32_TESTS
  "test_err=core/test_err.c" "test_log=core/test_log.c" "test_mem=core/test_mem.c"
  "test_device_hooks=boot/test_device_hooks.c" "test_otadata=formats/test_otadata.c"
  "test_boot_bootloader=sim/test_boot_bootloader.c,sim/boot_fixture.c"
  "test_boot_device_file=sim/test_boot_device_file.c" "test_crypto_mbedtls=port/test_crypto.c"
  "test_flash=flash/test_flash.c" "test_flash_emu=sim/test_flash_emu.c" "test_flash_file=sim/test_flash_file.c"
  "test_image_validator=formats/test_image_validator.c,formats/test_image_corruption.c" "test_image_builder=sim/test_image_builder.c"
  "test_partition_formats=formats/test_partition_formats.c" "test_partition_csv=sim/test_partition_csv.c"
  "test_partition_flash=flash/test_partition_flash.c"
  "test_sdkconfig=sim/test_sdkconfig.c" "test_service_engine=service/test_service_engine.c"
  "test_partition_writer=pipeline/test_partition_writer.c"
  "test_default_procs=service/test_default_procs.c,service/service_fixture.c"
  "test_resume=service/test_resume.c,service/service_fixture.c"
  "test_source_uri=source/test_source_uri.c" "test_source_file=port/posix/test_source_file.c,port/posix/test_source_file_walk.c"
  "test_source_http_rules=source/test_source_http_rules.c" "test_version=formats/test_version.c")

# gcc-multilib present? (scripts/install-deps.sh test installs it, so CI always has it.)
set(_probe ${CMAKE_CURRENT_BINARY_DIR}/m32_probe.c)
file(WRITE ${_probe} "int main(void) { return 0; }\n")
execute_process(COMMAND ${CMAKE_C_COMPILER} -m32 ${_probe} -o ${CMAKE_CURRENT_BINARY_DIR}/m32_probe
                RESULT_VARIABLE _m32_cc OUTPUT_QUIET ERROR_QUIET)
if(NOT _m32_cc EQUAL 0)
  message(STATUS "m32: gcc -m32 cannot link (gcc-multilib missing: scripts/install-deps.sh test); no 32-bit tests")
  return()
endif()

include(ExternalProject)
set(_m32_bin ${PROJECT_BINARY_DIR}/m32)
string(REPLACE ";" "$<SEMICOLON>" _m32_list "${OTA_M32_TESTS}")
ExternalProject_Add(m32_unit_tests
  SOURCE_DIR ${PROJECT_SOURCE_DIR}/tests/m32
  BINARY_DIR ${_m32_bin}
  CMAKE_ARGS -DOTA_WERROR=${OTA_WERROR} -DOTA_SANITIZE=${OTA_SANITIZE} -DOTA_TESTDATA_DIR=${OTA_TESTDATA_DIR}
             "-DOTA_M32_TESTS=${_m32_list}"
  BUILD_ALWAYS ON
  INSTALL_COMMAND "")
foreach(_entry IN LISTS OTA_M32_TESTS)
  string(REGEX REPLACE "=.*" "" _name "${_entry}")
  add_test(NAME m32_${_name} COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/m32/run_m32.sh ${_m32_bin}/${_name}
           WORKING_DIRECTORY ${_m32_bin})
  set_tests_properties(m32_${_name} PROPERTIES LABELS "unit;m32" TIMEOUT 300)
endforeach()
