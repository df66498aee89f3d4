"""Checks of bench/compare (its PyTorch-engine column, what --end-to-end says it ran) that need no build: python3 -m unittest discover -s bench/reference -p 'test_*.py'"""
import importlib.machinery
import importlib.util
import os
import re
import tempfile
import unittest

HOME = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def load_compare():
    loader = importlib.machinery.SourceFileLoader("compare", os.path.join(HOME, "bench", "compare"))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("compare", loader))
    loader.exec_module(module)
    return module


compare = load_compare()


def runner_line(**overrides):
    fields = {"engine": "pytorch", "samples_per_s": 1234.5, "pytorch": "2.7.1", "intra_op_threads": 1,
              "inter_op_threads": 1, **overrides}
    return "{" + ", ".join(f'"{k}": {v!r}'.replace("'", '"') for k, v in fields.items()) + "}"


class DjlColumnTest(unittest.TestCase):
    def test_runner_gets_each_rows_work_and_the_jmh_run_lengths(self):
        jar = os.path.join("t", "csfl-trainer-djl-1.jar")
        for timing in ("full", "quick"):
            for row in compare.ROWS:
                cmd = compare.djl_command(row, timing, jar)
                flags = cmd[cmd.index("io.csfl.djl.TrainingThroughput") + 1:]
                named = dict(zip(flags[0:8:2], flags[1:8:2]))
                self.assertEqual(named, {"--model": row.params.get("model", "mlp"),
                                         "--optimizer": row.params["optimizer"], "--lr": row.params["lr"],
                                         "--mode": "epoch" if row.kind == "epoch" else "steady"}, row.key)
                self.assertEqual(flags[8:], compare.TIMINGS[timing][row.kind][0], row.key)
                self.assertIn(os.path.join("t", "lib", "*"), cmd[cmd.index("-cp") + 1], row.key)

    def test_the_epoch_row_is_the_mlp_from_the_initial_model(self):
        row = next(r for r in compare.ROWS if r.kind == "epoch")
        cmd = compare.djl_command(row, "quick", "csfl-trainer-djl-1.jar")
        self.assertEqual(cmd[cmd.index("--model") + 1], "mlp")
        self.assertEqual(cmd[cmd.index("--mode") + 1], "epoch")

    def test_malloc_tunables_are_bin_csfls(self):
        with open(os.path.join(HOME, "bin", "csfl")) as f:
            script = f.read()
        found = dict(re.findall(r'export (MALLOC_\w+_)="\$\{\1:-(\d+)\}"', script))
        self.assertEqual(found, compare.DJL_MALLOC)

    def test_the_environments_malloc_settings_win(self):
        saved = os.environ.get("MALLOC_TOP_PAD_")
        os.environ["MALLOC_TOP_PAD_"] = "1"
        try:
            env = compare.djl_env()
        finally:
            if saved is None:
                del os.environ["MALLOC_TOP_PAD_"]
            else:
                os.environ["MALLOC_TOP_PAD_"] = saved
        self.assertEqual(env["MALLOC_TOP_PAD_"], "1")
        self.assertEqual(env["MALLOC_MMAP_THRESHOLD_"], compare.DJL_MALLOC["MALLOC_MMAP_THRESHOLD_"])

    def test_samples_per_s_come_from_the_last_json_line(self):
        out = "warm-up iteration 1: 9.0 samples/s\n" + runner_line(samples_per_s=1.0) + "\n" + runner_line() + "\n"
        self.assertEqual(compare.djl_samples_per_s(out), 1234.5)
        self.assertIn("PyTorch 2.7.1", compare.DJL_INFO)

    def test_a_run_on_more_than_one_thread_is_refused(self):
        with self.assertRaisesRegex(RuntimeError, "2 intra-op"):
            compare.djl_samples_per_s(runner_line(intra_op_threads=2))
        with self.assertRaisesRegex(RuntimeError, "3 inter-op"):
            compare.djl_samples_per_s(runner_line(inter_op_threads=3))

    def test_output_without_a_result_is_an_error(self):
        with self.assertRaises(RuntimeError):
            compare.djl_samples_per_s("measured iteration 1: 5.0 samples/s\n")

    def test_the_column_needs_the_engines_jar_and_its_lib(self):
        with tempfile.TemporaryDirectory() as home:
            self.assertIsNone(compare.djl_jar(home))
            target = os.path.join(home, "trainer-djl", "target")
            os.makedirs(target)
            for name in ("csfl-trainer-djl-0.1.jar", "csfl-trainer-djl-0.1-sources.jar"):
                open(os.path.join(target, name), "w").close()
            self.assertIsNone(compare.djl_jar(home), "no lib/: the engine's class path is incomplete")
            os.makedirs(os.path.join(target, "lib"))
            self.assertEqual(compare.djl_jar(home), os.path.join(target, "csfl-trainer-djl-0.1.jar"))


class EndToEndTest(unittest.TestCase):
    def test_csfl_runs_as_a_user_runs_it_unless_pinned(self):
        self.assertEqual(compare.parser().parse_args(["--end-to-end"]).csfl_threads, 0)
        self.assertEqual(compare.parser().parse_args(["--end-to-end", "--csfl-threads", "1"]).csfl_threads, 1)

    def test_the_title_says_each_sides_threads_and_what_the_time_includes(self):
        default = compare.end_to_end_title(0, 3, None, cores=2)
        self.assertIn("CSFL with 2 training threads (its default: one per core)", default)
        self.assertIn("numpy with one BLAS thread", default)
        self.assertIn("JVM or Python start, data loading", default)
        self.assertIn("median of 3 run(s)", default)
        self.assertNotIn("FL rounds instead", default)
        pinned = compare.end_to_end_title(1, 1, 2, cores=8)
        self.assertIn("CSFL with 1 training thread (--threads 1)", pinned)
        self.assertIn("2 FL rounds instead of 30", pinned)
        self.assertIn("4 training threads (--threads 4)", compare.end_to_end_title(4, 1, None, cores=2))


class MachineTest(unittest.TestCase):
    def cpu(self, text):
        with tempfile.NamedTemporaryFile("w", suffix=".cpuinfo", delete=False) as f:
            f.write(text)
        try:
            return compare.cpu_text(f.name)
        finally:
            os.unlink(f.name)

    def test_the_cpu_line_names_the_generation_and_avx512_of_the_first_processor(self):
        two = ("processor\t: 0\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: fma avx2 avx512f\n\n"
               "processor\t: 1\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: Other\nflags\t\t: fma\n")
        self.assertEqual("AMD EPYC (family 25, model 17), AVX-512", self.cpu(two))
        self.assertEqual("Some CPU, no AVX-512", self.cpu("model name\t: Some CPU\nflags\t: sse2 avx512vl\n"))
        self.assertEqual("unknown", self.cpu("processor\t: 0\n"))


class ProductTest(unittest.TestCase):
    def test_products_are_rows_of_their_own(self):
        self.assertEqual({"product-784": (64, 784, 200), "product-200": (64, 200, 200)}, compare.PRODUCTS)
        self.assertIn("product-784", compare.parser().format_help())

    def test_the_reference_product_refuses_an_empty_shape(self):
        loader = importlib.machinery.SourceFileLoader("product", os.path.join(HOME, "bench", "reference", "product.py"))
        product = importlib.util.module_from_spec(importlib.util.spec_from_loader("product", loader))
        loader.exec_module(product)
        self.assertEqual(2, product.main(["--k", "0"]))
        import numpy
        rate = product.multiply_adds_per_s(8, 16, 4, 0.01, numpy.random.default_rng(1))
        self.assertGreater(rate, 0)


if __name__ == "__main__":
    unittest.main()
