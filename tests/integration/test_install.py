#!/usr/bin/env python3
"""`make install` (cmake --install): the two libraries (issue 21 §3: libotaservice, what a device
links, and libotaservice_sim, the simulation), their headers by audience (include/ota/,
include/ota/port/, include/ota/sim/; the private ones not at all), a pkg-config file each and the
`ota` binary land under the prefix, and a program built only from what was installed
(`pkg-config --cflags --libs ota-service-sim`: the CSV parser is simulation) links and runs."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import BUILD_DIR, main, tempdir  # noqa: E402

PROGRAM = r'''
#include <stdio.h>
#include <string.h>
#include <ota/ota_err.h>
#include <ota/ota_partition.h>
#include <ota/ota_service.h>
#include <ota/sim/ota_partition_csv.h>

int main(void)
{
    /* a table from CSV, through the installed library */
    const char *csv = "nvs,data,nvs,,0x4000,\nota_0,app,ota_0,,1M,\n";
    static ota_partition_table_t t;
    ota_partition_csv_options_t o = {0};
    ota_partition_diag_t d;
    int err = ota_partition_table_parse_csv(csv, strlen(csv), &o, &t, &d);
    printf("%s %zu %s 0x%x\n", ota_err_name(err), t.count, t.entries[1].label, (unsigned)t.entries[1].offset);
    return err;
}
'''


class Install(unittest.TestCase):
    def test_install_tree_and_pkg_config(self):
        with tempdir() as d:
            prefix = os.path.join(d, "prefix")
            subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix", prefix], check=True,
                           capture_output=True, text=True)
            libdir = next(os.path.join(prefix, l) for l in ("lib", "lib64", "lib/x86_64-linux-gnu")
                          if os.path.exists(os.path.join(prefix, l, "pkgconfig", "ota-service.pc")))
            self.assertTrue(os.path.exists(os.path.join(libdir, "libotaservice.a")))
            for header in ("ota_service.h", "ota_err.h", "ota_partition.h", "port/ota_source.h", "port/ota_flash.h"):
                self.assertTrue(os.path.exists(os.path.join(prefix, "include", "ota", header)), header)
            ota = os.path.join(prefix, "bin", "ota")
            self.assertTrue(os.access(ota, os.X_OK))
            out = subprocess.run([ota, "--version"], capture_output=True, text=True, check=True).stdout
            self.assertTrue(out.startswith("ota "), out)

            # the simulation apart: its library, its headers, its pkg-config file on top of the core's
            self.assertTrue(os.path.exists(os.path.join(libdir, "libotaservice_sim.a")))
            self.assertTrue(os.path.exists(os.path.join(libdir, "pkgconfig", "ota-service-sim.pc")))
            for header in ("ota_flash_emu.h", "ota_bootloader.h", "ota_device_file.h", "ota_partition_csv.h"):
                self.assertTrue(os.path.exists(os.path.join(prefix, "include", "ota", "sim", header)), header)
                self.assertFalse(os.path.exists(os.path.join(prefix, "include", "ota", header)), header)
            # private headers (src/<layer>/ota_*.h) are not installed anywhere
            installed = {f for _, _, files in os.walk(os.path.join(prefix, "include")) for f in files}
            for header in ("ota_heatshrink.h", "ota_delta.h", "ota_crypto_keys.h", "ota_install_journal.h"):
                self.assertNotIn(header, installed)

            env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(libdir, "pkgconfig"))
            core_flags = subprocess.run(["pkg-config", "--libs", "ota-service"], env=env,
                                        capture_output=True, text=True, check=True).stdout.split()
            self.assertIn("-lotaservice", core_flags)
            self.assertNotIn("-lotaservice_sim", core_flags)
            flags = subprocess.run(["pkg-config", "--cflags", "--libs", "ota-service-sim"], env=env,
                                   capture_output=True, text=True, check=True).stdout.split()
            self.assertIn("-lotaservice", flags)
            self.assertIn("-lotaservice_sim", flags)
            src = os.path.join(d, "prog.c")
            with open(src, "w") as f:
                f.write(PROGRAM)
            exe = os.path.join(d, "prog")
            # the test build's library is instrumented: link the sanitizer runtimes too
            subprocess.run(["cc", "-std=c11", src, "-o", exe, "-fsanitize=address,undefined"] + flags,
                           check=True, capture_output=True, text=True)
            run = subprocess.run([exe], capture_output=True, text=True)
            self.assertEqual(run.returncode, 0, run.stderr)
            self.assertEqual(run.stdout.strip(), "OTA_OK 2 ota_0 0x10000")


if __name__ == "__main__":
    main()
