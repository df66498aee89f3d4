"""Checks of scripts/thread-cpu.py, which tls-cost.sh -t runs: python3 -m unittest discover -s scripts -p 'test_*.py'"""
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader("thread_cpu", os.path.join(HERE, "thread-cpu.py"))
thread_cpu = importlib.util.module_from_spec(importlib.util.spec_from_loader("thread_cpu", loader))
loader.exec_module(thread_cpu)


class GroupTest(unittest.TestCase):
    def test_linux_truncated_jvm_thread_names_fall_in_their_groups(self):
        self.assertTrue(thread_cpu.group("csfl-akka.remot").startswith("Artery"))
        self.assertEqual("training", thread_cpu.group("csfl-csfl.train"))
        self.assertEqual("JIT: C2", thread_cpu.group("C2 CompilerThre"))
        self.assertEqual("garbage collector", thread_cpu.group("GC Thread#1"))
        self.assertEqual("garbage collector", thread_cpu.group("G1 Conc#0"))
        self.assertEqual("main thread (start-up)", thread_cpu.group("java"))
        self.assertEqual("other JVM threads", thread_cpu.group("Signal Dispatch"))


class ReportTest(unittest.TestCase):
    def test_medians_per_variant_and_differences_to_the_first(self):
        plain = [{"training": 7.0, "JIT: C2": 5.0}, {"training": 9.0, "JIT: C2": 4.0}, {"training": 8.0, "JIT: C2": 6.0}]
        tls = [{"training": 8.5, "JIT: C2": 6.0, "TLS warm-up": 1.0}]
        lines = thread_cpu.report([("plain", plain), ("tls", tls)])
        self.assertEqual("| thread group | plain, s | tls, s | tls - plain, s |", lines[0])
        self.assertIn("| training | 8.00 | 8.50 | +0.50 |", lines)
        self.assertIn("| JIT: C2 | 5.00 | 6.00 | +1.00 |", lines)
        self.assertIn("| TLS warm-up | 0.00 | 1.00 | +1.00 |", lines)
        self.assertEqual("| all (sum of the medians) | 13.00 | 15.50 | +2.50 |", lines[-1])


class SampleTest(unittest.TestCase):
    def test_a_busy_process_is_read_until_it_exits(self):
        busy = subprocess.Popen([sys.executable, "-c", "import time\nt = time.time()\nwhile time.time() - t < 0.6: pass"])
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "threads.json")
            thread_cpu.sample(out, [str(busy.pid)], period=0.05)
            busy.wait()
            with open(out) as f:
                groups = json.load(f)
        self.assertGreater(sum(groups.values()), 0.2)

    def test_wrong_arguments_print_the_usage_and_exit_2(self):
        self.assertEqual(2, thread_cpu.main(["report", "no-equals-sign"]))
        self.assertEqual(2, thread_cpu.main([]))


if __name__ == "__main__":
    unittest.main()
