# Which sources make the core - exactly what a device links - and which are host-only. Included by
# the top-level build and by the microcontroller build (examples/mcu_ota), so both split the same.
#
# The core is taken by folder (a new .c file in a layer's folder joins it after re-running cmake).
# Host-only parts are listed by name and leave the core, as MCUboot keeps sim/ and littlefs bd/
# apart: image and tone builders, CSV and sdkconfig parsing, the simulated second-stage
# bootloader, the NOR flash emulator. A device has a real bootloader and a real flash; a test
# bench or the QEMU firmware may still link these, and the footprint counts them separately.
set(OTA_CORE_DIRS core formats flash boot source service secure)
set(OTA_HOST_ONLY_FILES
  formats/app_image_builder.c
  formats/tone_image_build.c
  formats/partition_csv.c
  formats/partition_csv_write.c
  formats/sdkconfig.c
  boot/bootloader.c
  boot/boot_banner.c
  flash/flash_emu.c)

# The release manifest (formats/manifest.c, on Debian's header-only jsmn) and its signature check;
# ESP-ADF's manifest (formats/adf_manifest.c, also jsmn, and its checker); their JSON rules.
set(OTA_MANIFEST_FILES formats/manifest.c formats/manifest_check.c secure/manifest_sig.c
  formats/json_strict.c formats/adf_manifest.c service/checker_manifest.c)
set(OTA_JSMN_FILES formats/manifest.c formats/json_strict.c formats/adf_manifest.c)

# ota_collect_sources(SRC_ROOT CORE_VAR HOST_VAR): absolute paths of both lists.
function(ota_collect_sources src_root core_var host_var)
  set(_core)
  foreach(_dir IN LISTS OTA_CORE_DIRS)
    file(GLOB _files CONFIGURE_DEPENDS ${src_root}/${_dir}/*.c)
    list(APPEND _core ${_files})
  endforeach()
  set(_host)
  foreach(_f IN LISTS OTA_HOST_ONLY_FILES)
    list(APPEND _host ${src_root}/${_f})
  endforeach()
  list(REMOVE_ITEM _core ${_host})
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
  set(${host_var} ${_host} PARENT_SCOPE)
endfunction()
