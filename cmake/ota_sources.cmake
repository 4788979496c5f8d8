# Which sources make the core - exactly what a device links - and which make the simulation.
# Included by the top-level build, the microcontroller build (examples/mcu_ota), the 32-bit tests
# and the ESP-IDF component, so all split the same way.
#
# Both are taken by folder (a new .c file in a folder joins it after re-running cmake): the core
# is the layers' folders; the simulation is src/sim/, kept apart as MCUboot keeps sim/ and
# littlefs bd/: the NOR flash emulator, the simulated second-stage bootloader, the image and tone
# builders, CSV and sdkconfig parsing. A device has a real bootloader and a real flash; a test
# bench or the QEMU firmware may still link src/sim/, and the footprint counts it separately.
# src/sim/host/ is the part that needs a host OS or host libraries (the file-backed flash and the
# device state file on POSIX, the delta patch maker on libdivsufsort): only the host builds it.
set(OTA_CORE_DIRS core formats flash boot source pipeline service secure)
set(OTA_SIM_DIR sim)

# The release manifest (formats/manifest.c, on Debian's header-only jsmn) and its signature check;
# ESP-ADF's manifest (formats/adf_manifest.c, also jsmn, and its checker); their JSON rules; the
# release installed as one (service/release*.c, ota_release.h), built on the parser.
set(OTA_MANIFEST_FILES formats/manifest.c formats/manifest_check.c secure/manifest_sig.c
  formats/json_strict.c formats/adf_manifest.c service/checker_manifest.c
  service/release.c service/release_item.c service/release_commit.c)
set(OTA_JSMN_FILES formats/manifest.c formats/json_strict.c formats/adf_manifest.c)

# ota_collect_sources(SRC_ROOT CORE_VAR SIM_VAR [SIM_HOST_VAR]): absolute paths of the core's
# sources, of the portable simulation (src/sim/*.c) and, if asked, of src/sim/host/*.c.
function(ota_collect_sources src_root core_var sim_var)
  set(_core)
  foreach(_dir IN LISTS OTA_CORE_DIRS)
    file(GLOB _files CONFIGURE_DEPENDS ${src_root}/${_dir}/*.c)
    list(APPEND _core ${_files})
  endforeach()
  file(GLOB _sim CONFIGURE_DEPENDS ${src_root}/${OTA_SIM_DIR}/*.c)
  if(ARGC GREATER 3)
    file(GLOB _sim_host CONFIGURE_DEPENDS ${src_root}/${OTA_SIM_DIR}/host/*.c)
    set(${ARGV3} ${_sim_host} PARENT_SCOPE)
  endif()
  # jsmn (Debian libjsmn-dev, header-only) for the manifest parser: a copy of the one header in the
  # build tree, given to that file alone with -isystem, so a cross compiler (which must not see the
  # host's /usr/include) gets it too.
  # Where there is no jsmn (an ESP-IDF project: ESP-IDF does not ship it), the release manifest's
  # parser, its table check and its signature check (OTA_MANIFEST_FILES) are left out of the core, with a message.
  find_file(OTA_JSMN_HEADER jsmn.h PATHS /usr/include NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  if(OTA_JSMN_HEADER)
    configure_file(${OTA_JSMN_HEADER} ${CMAKE_BINARY_DIR}/ota_jsmn/jsmn.h COPYONLY)
    foreach(_f IN LISTS OTA_JSMN_FILES)
      set_source_files_properties(${src_root}/${_f} PROPERTIES
        COMPILE_OPTIONS "-isystem;${CMAKE_BINARY_DIR}/ota_jsmn")
    endforeach()
  else()
    message(STATUS "jsmn.h not found (Debian: libjsmn-dev): the release manifest parser is not built")
    foreach(_f IN LISTS OTA_MANIFEST_FILES)
      list(REMOVE_ITEM _core ${src_root}/${_f})
    endforeach()
  endif()
  set(${core_var} ${_core} PARENT_SCOPE)
  set(${sim_var} ${_sim} PARENT_SCOPE)
endfunction()
