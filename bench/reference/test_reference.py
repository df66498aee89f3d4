"""Checks of the numpy reference: python3 -m unittest discover -s bench/reference -p 'test_*.py'

The gradients are checked against central differences in float64 (the trainer's dtype is switched
for the test), so ReLU and pooling kinks are the only source of disagreement; the biases are set
off zero first, so that blank background gives tied pooling windows, which CSFL breaks towards the
first position.
"""
import unittest

import train  # noqa: E402  (sets the BLAS threads before numpy)
import fl_loop

np = train.np


class NoStep:
    def step(self, params, grads):
        pass


class GradientTest(unittest.TestCase):
    def setUp(self):
        self.saved = train.F32
        train.F32 = np.float64

    def tearDown(self):
        train.F32 = self.saved

    def check(self, model):
        images, labels, _, _ = DATA
        net = train.Network(model)
        net.initialize(3)
        rng = np.random.default_rng(0)
        for a, b, prunable in net.tensors:
            if not prunable:
                net.params[a:b] = rng.normal(0, 0.05, b - a)
        idx = np.arange(8)
        x, y = train.batch_of(images, idx), labels[idx]

        def loss():
            z = net.logits(x).astype(np.float64)
            z -= z.max(axis=1, keepdims=True)
            return -(z - np.log(np.exp(z).sum(axis=1, keepdims=True)))[np.arange(len(y)), y].mean()

        net.train_batch(x, y, NoStep())
        grads = net.grads.copy()
        for a, b, _ in net.tensors:
            for i in (a + int(np.argmax(np.abs(grads[a:b]))), int(rng.integers(a, b))):
                old = net.params[i]
                net.params[i] = old + 1e-6
                up = loss()
                net.params[i] = old - 1e-6
                down = loss()
                net.params[i] = old
                self.assertAlmostEqual(grads[i], (up - down) / 2e-6, delta=1e-5 + 1e-4 * abs(grads[i]),
                                       msg=f"{model} parameter {i} (tensor {a}..{b})")

    def test_mlp_gradients_match_central_differences(self):
        self.check("mlp")

    def test_cnn_gradients_match_central_differences(self):
        self.check("cnn")


class ModelTest(unittest.TestCase):
    def test_parameter_counts_are_csfl_presets(self):
        for model, count in train.PARAMETERS.items():
            self.assertEqual(train.build(model).size, count)

    def test_adam_step_follows_keras_form(self):
        opt = train.Adam(1, 0.01)
        p, g = np.array([1.0], dtype=np.float32), np.array([0.5], dtype=np.float32)
        opt.step(p, g)
        # First step: m = 0.05, v = 0.00025, step = 0.01 * sqrt(0.001) / 0.1, so p moves by about lr.
        expected = 1.0 - 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9) * 0.05 / (np.sqrt(0.00025) + 1e-7)
        self.assertAlmostEqual(float(p[0]), expected, places=6)

    def test_adam_keeps_its_moments_out_of_the_subnormals(self):
        opt = train.Adam(2, 0.01)
        p = np.zeros(2, dtype=np.float32)
        opt.step(p, np.array([1e-3, 1e-31], dtype=np.float32))
        for _ in range(opt.FLUSH_EVERY - 1):
            opt.step(p, np.array([1e-3, 0], dtype=np.float32))
        self.assertEqual(float(opt.m[1]), 0.0)
        self.assertEqual(float(opt.v[1]), 0.0)
        steps = 0
        while opt.m[0] != 0 and steps < 10_000:
            self.assertGreaterEqual(abs(float(opt.m[0])), 2.0 ** -126)
            opt.step(p, np.zeros(2, dtype=np.float32))
            steps += 1
        self.assertTrue(500 < steps < 800, steps)

    def test_a_few_adam_steps_lower_the_loss(self):
        images, labels, _, _ = DATA
        net = train.build("mlp")
        opt = train.Adam(net.size, 0.001)
        idx = np.arange(64)
        first = net.train_batch(train.batch_of(images, idx), labels[idx], opt)
        for _ in range(20):
            last = net.train_batch(train.batch_of(images, idx), labels[idx], opt)
        self.assertLess(last, first / 2)


class FederationTest(unittest.TestCase):
    def test_iid_deals_every_example_once_in_near_equal_parts(self):
        parts = fl_loop.iid(DATA[1], 7, np.random.default_rng(1))
        self.assertEqual(sorted(np.concatenate(parts).tolist()), list(range(len(DATA[1]))))
        self.assertLessEqual(max(map(len, parts)) - min(map(len, parts)), 1)

    def test_dirichlet_deals_every_example_once_and_skews_labels(self):
        labels = DATA[1]
        parts = fl_loop.dirichlet(labels, 100, np.random.default_rng(1), 0.5, False)
        self.assertEqual(sorted(np.concatenate(parts).tolist()), list(range(len(labels))))
        self.assertGreaterEqual(min(map(len, parts)), fl_loop.MIN_EXAMPLES)
        top_share = np.mean([np.bincount(labels[p], minlength=10).max() / len(p) for p in parts])
        self.assertGreater(top_share, 0.3)  # iid would give about 0.1 to 0.15

    def test_pruning_keeps_the_largest_per_weight_tensor_and_every_bias(self):
        net = train.build("mlp")
        kept = fl_loop.prune(net, net.params, 0.5)
        for a, b, prunable in net.tensors:
            if not prunable:
                self.assertTrue(kept[a:b].all())
                continue
            self.assertEqual(int(kept[a:b].sum()), (b - a) - round(0.5 * (b - a)))
            self.assertGreaterEqual(np.abs(net.params[a:b][kept[a:b]]).min(), np.abs(net.params[a:b][~kept[a:b]]).max())

    def test_sparsity_schedule_is_linear_from_the_first_pruned_round(self):
        self.assertEqual(fl_loop.sparsity_for(2, 30, 0.5, 0.9, 0), 0.5)
        self.assertAlmostEqual(fl_loop.sparsity_for(16, 30, 0.5, 0.9, 0), 0.7)
        self.assertAlmostEqual(fl_loop.sparsity_for(30, 30, 0.5, 0.9, 0), 0.9)

    def test_cs_server_adds_eta_times_the_complement_and_prunes(self):
        net = train.build("mlp")
        args = type("Args", (), {"server_rate": 1.5, "warmup_rounds": 0, "rounds": 3, "sparsity": 0.5, "sparsity_end": 0.5})
        server = fl_loop.CsServer(net.params.copy(), net, args)
        rng = np.random.default_rng(2)
        server.close(1, [net.params + rng.normal(0, 0.01, net.size).astype(np.float32)], [10])
        kept, s = server.kept.copy(), server.model.copy()
        self.assertTrue((s[~kept] == 0).all())
        a = rng.normal(0, 0.1, net.size).astype(np.float32)
        b = rng.normal(0, 0.1, net.size).astype(np.float32)
        server.close(2, [a, b], [1, 3])
        mean = (a.astype(np.float64) + 3 * b) / 4
        prunable = server.prunable
        d = np.where(prunable & kept, s, 0) + np.where(prunable & ~kept, 1.5 * mean, 0) + np.where(prunable, 0, mean)
        expected = np.where(server.kept, d.astype(np.float32), 0)
        np.testing.assert_allclose(server.model, expected, rtol=1e-6, atol=1e-7)


DATA = train.load_fashion_mnist()

if __name__ == "__main__":
    unittest.main()
