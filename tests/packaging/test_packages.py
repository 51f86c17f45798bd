"""The deb and rpm packages: built with CPack from the tested build, then
inspected with dpkg-deb and rpm, the binary run from the extracted package,
and the systemd unit scored by `systemd-analyze security --offline`.

    SIDECAR_BUILD_DIR=build/ci python3 -m unittest -v test_packages
"""

import glob
import os
import re
import subprocess
import tempfile
import unittest

BUILD_DIR = os.environ.get("SIDECAR_BUILD_DIR", "build/ci")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, **kwargs):
    return subprocess.run(list(args), capture_output=True, text=True, check=True, **kwargs).stdout


class Packages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="pl-packages-")
        run("cpack", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"), "-G", "DEB;RPM", "-B", cls.out)
        cls.deb = glob.glob(os.path.join(cls.out, "*.deb"))[0]
        cls.rpm = glob.glob(os.path.join(cls.out, "*.rpm"))[0]

    def test_deb_contents_and_metadata(self):
        contents = run("dpkg-deb", "-c", self.deb)
        for path in ("./usr/bin/privatelink-sidecar", "./usr/lib/systemd/system/privatelink-sidecar.service",
                     "./etc/privatelink-sidecar/sidecar.yaml", "./usr/share/polkit-1/rules.d/50-privatelink-sidecar.rules",
                     "./usr/share/doc/privatelink-sidecar/configuration.md"):
            self.assertIn(path, contents)
        info = run("dpkg-deb", "-I", self.deb)
        self.assertRegex(info, r"Package: privatelink-sidecar")
        depends = re.search(r"Depends: (.*)", info).group(1)
        for library in ("libc-ares2", "libcurl4", "libyaml-cpp0.7", "libsystemd0", "libssl3"):
            self.assertIn(library, depends)  # from dpkg-shlibdeps, not hand-written
        control = tempfile.mkdtemp()
        run("dpkg-deb", "-e", self.deb, control)
        with open(os.path.join(control, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/privatelink-sidecar/sidecar.yaml"])
        for script in ("postinst", "prerm"):
            path = os.path.join(control, script)
            self.assertTrue(os.access(path, os.X_OK))
            run("sh", "-n", path)

    def test_binary_from_the_deb_runs(self):
        root = tempfile.mkdtemp()
        run("dpkg-deb", "-x", self.deb, root)
        version = run(os.path.join(root, "usr/bin/privatelink-sidecar"), "--version")
        self.assertIn("privatelink-sidecar", version)
        shown = run(os.path.join(root, "usr/bin/privatelink-sidecar"), "--config",
                    os.path.join(root, "etc/privatelink-sidecar/sidecar.yaml"), "check-config")
        self.assertIn("valid", shown)  # the shipped config is valid

    def test_rpm_contents_scripts_and_config(self):
        files = run("rpm", "-qlp", self.rpm)
        self.assertIn("/usr/bin/privatelink-sidecar", files)
        self.assertIn("/usr/lib/systemd/system/privatelink-sidecar.service", files)
        self.assertNotIn("/etc\n", files + "\n")  # no directories owned by the system
        self.assertEqual(run("rpm", "-qcp", self.rpm).split(), ["/etc/privatelink-sidecar/sidecar.yaml"])
        scripts = run("rpm", "-qp", "--scripts", self.rpm)
        self.assertIn("useradd --system", scripts)
        self.assertIn("preuninstall", scripts)

    def test_unit_is_hardened(self):
        unit = os.path.join(ROOT, "systemd", "privatelink-sidecar.service")
        report = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit], capture_output=True, text=True)
        score = float(re.search(r"Overall exposure level for \S+: ([0-9.]+)", report.stdout).group(1))
        self.assertLess(score, 2.0, report.stdout)
        with open(unit) as f:
            text = f.read()
        self.assertIn("Type=notify", text)
        self.assertIn("User=privatelink-sidecar", text)
        self.assertIn("WatchdogSec=", text)


if __name__ == "__main__":
    unittest.main()
