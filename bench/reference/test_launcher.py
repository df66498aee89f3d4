"""Checks of bin/csfl's rebuild decision that need no build: python3 -m unittest discover -s bench/reference -p 'test_*.py'"""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

HOME = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


class LauncherRebuildTest(unittest.TestCase):
    """bin/csfl in a throwaway tree with a stand-in `mvn` (notes that it ran) and `java` (does nothing)."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="csfl-launcher-")
        self.addCleanup(shutil.rmtree, self.home)
        os.makedirs(os.path.join(self.home, "bin"))
        shutil.copy(os.path.join(HOME, "bin", "csfl"), os.path.join(self.home, "bin", "csfl"))
        self.tools = os.path.join(self.home, "tools")
        os.makedirs(os.path.join(self.tools, "bin"))
        self.built = os.path.join(self.home, "mvn-ran")
        self.script("mvn", f'touch "{self.built}"; touch "{self.home}/cluster-node/target/csfl.jar"')
        self.script("bin/java", "exit 0")
        for f in ("pom.xml", "core/src/main/java/io/csfl/A.java", "core/src/test/java/io/csfl/ATest.java",
                  "cluster-node/src/test/resources/test.conf", "cluster-node/target/csfl.jar"):
            self.touch(f, age=100)

    def script(self, name, body):
        path = os.path.join(self.tools, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, 0o755)

    def touch(self, relative, age=0):
        path = os.path.join(self.home, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
        t = time.time() - age
        os.utime(path, (t, t))

    def launch(self):
        env = {**os.environ, "PATH": self.tools + os.pathsep + os.environ["PATH"], "JAVA_HOME": self.tools, "CSFL_CDS": "off"}
        done = subprocess.run([os.path.join(self.home, "bin", "csfl"), "--version"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        ran = os.path.exists(self.built)
        if ran:
            os.unlink(self.built)
        return ran

    def test_a_fresh_jar_is_not_rebuilt(self):
        self.assertFalse(self.launch())

    def test_an_edited_test_source_does_not_rebuild(self):
        self.touch("core/src/test/java/io/csfl/ATest.java")
        self.touch("cluster-node/src/test/resources/test.conf")
        self.assertFalse(self.launch())

    def test_an_edited_main_source_or_pom_rebuilds(self):
        self.touch("core/src/main/java/io/csfl/A.java")
        self.assertTrue(self.launch())
        self.assertFalse(self.launch(), "built once, fresh after")
        self.touch("pom.xml")
        self.assertTrue(self.launch())


if __name__ == "__main__":
    unittest.main()
