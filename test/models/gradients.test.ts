/**
 * Every model's hand-written backward pass against central finite differences of an independent float64
 * reference (test/models/reference.ts), on the cpu backend.
 *
 * Tolerance: the analytic gradients are computed in float32 on tiny problems (sums of a handful of terms), so
 * they carry relative errors around 1e-6; the float64 central differences (h = 1e-6) are accurate to ~1e-9.
 * We accept |analytic - fd| <= 1e-5 + 1e-3 |fd|, and also check the forward pass (loss) to 1e-5 relative.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { MF, GMF, MLP, NeuMF } from "../../lib/models";
import { setRowPadding } from "../../lib/models/batch";
import { setFactoredInput } from "../../lib/models/factored-input";
import { Rng } from "../../lib/random";
import { finiteDifferences, refLoss, to64, type RefConfig, type RefMasks } from "./reference";
import type { Model as TrainableModel } from "../../lib/models/model";

const NU = 5;
const NI = 7;

function batch(seed: number, n: number, labels: "binary" | "rating", nu = NU, ni = NI) {
  const rng = new Rng(seed);
  const users = Int32Array.from({ length: n }, () => rng.int(nu));
  const items = Int32Array.from({ length: n }, () => rng.int(ni));
  const negItems = Int32Array.from({ length: n }, () => rng.int(ni));
  const values = Float32Array.from({ length: n }, () => (labels === "binary" ? rng.int(2) : 1 + rng.int(5)));
  return { users, items, labels: values, negItems };
}

function check(model: TrainableModel, cfg: RefConfig, loss: "bce" | "mse" | "bpr", b: ReturnType<typeof batch>, masks: RefMasks = {}, maxPerWeight = Infinity) {
  const w64 = to64(model.getWeights());
  const refValue = refLoss(cfg, w64, loss, b, masks);
  const fd = finiteDifferences(cfg, w64, loss, b, masks, 1e-6, maxPerWeight);
  const { loss: value, grads } = model.lossAndGradients(b, loss);
  assert.ok(Math.abs(value - refValue) <= 1e-5 * Math.max(1, Math.abs(refValue)), `${model.name}/${loss}: loss ${value} vs reference ${refValue}`);
  let checked = 0;
  for (const [name, ref] of fd) {
    const got = grads.get(name)!.values;
    assert.equal(got.length, ref.values.length, name);
    for (let k = 0; k < got.length; k++) {
      const want = ref.values[k]!;
      if (Number.isNaN(want)) continue;
      assert.ok(Math.abs(got[k]! - want) <= 1e-5 + 1e-3 * Math.abs(want), `${model.name}/${loss}: d ${name}[${k}] = ${got[k]} vs finite difference ${want}`);
      checked++;
    }
  }
  // The check is not vacuous: some gradients are clearly non-zero.
  let maxAbs = 0;
  for (const g of grads.values()) for (const v of g.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  assert.ok(maxAbs > 1e-4, `${model.name}/${loss}: all gradients are ~0 (max ${maxAbs})`);
  return checked;
}

test("MF gradients (mse, bce, bpr; with and without biases) match finite differences", async () => {
  await initBackend({ backend: "cpu" });
  const mf = new MF({ numUsers: NU, numItems: NI, factors: 3, embeddingInitStd: 0.5, seed: 1 });
  // Non-zero biases so their gradients and their effect on the loss are exercised.
  const w = mf.getWeights();
  w.get("mf.bias")!.values.forEach((_, k, a) => (a[k] = 0.1 * Math.sin(k + 1)));
  w.get("mf.globalBias")!.values[0] = 0.3;
  mf.setWeights(w);
  const cfg: RefConfig = { className: "MF", numUsers: NU };
  check(mf, cfg, "mse", batch(2, 9, "rating"));
  check(mf, cfg, "bce", batch(3, 9, "binary"));
  check(mf, cfg, "bpr", batch(4, 9, "binary"));
  const plain = new MF({ numUsers: NU, numItems: NI, factors: 4, biases: false, embeddingInitStd: 0.5, seed: 2 });
  check(plain, { className: "MF", numUsers: NU, biases: false }, "bce", batch(5, 8, "binary"));
  mf.dispose();
  plain.dispose();
});

test("GMF, MLP and NeuMF gradients (bce, bpr) match finite differences", async () => {
  await initBackend({ backend: "cpu" });
  const layers = [6, 4, 3];
  const gmf = new GMF({ numUsers: NU, numItems: NI, factors: 3, embeddingInitStd: 0.5, seed: 3 });
  check(gmf, { className: "GMF", numUsers: NU }, "bce", batch(6, 8, "binary"));
  const mlp = new MLP({ numUsers: NU, numItems: NI, layers, embeddingInitStd: 0.5, seed: 4 });
  check(mlp, { className: "MLP", numUsers: NU, layers }, "bce", batch(7, 8, "binary"));
  const neumf = new NeuMF({ numUsers: NU, numItems: NI, factors: 2, layers, embeddingInitStd: 0.5, seed: 5 });
  const cfg: RefConfig = { className: "NeuMF", numUsers: NU, layers };
  check(neumf, cfg, "bce", batch(8, 10, "binary"));
  check(neumf, cfg, "bpr", batch(9, 6, "binary"));
  for (const m of [gmf, mlp, neumf]) m.dispose();
});

test("gradients are unchanged by the padding rows that wasm batches carry", async () => {
  await initBackend({ backend: "cpu" });
  const old = setRowPadding("always");
  try {
    const layers = [6, 4, 3];
    const neumf = new NeuMF({ numUsers: NU, numItems: NI, factors: 2, layers, embeddingInitStd: 0.5, seed: 6 });
    // 70 examples pad to 80 rows.
    check(neumf, { className: "NeuMF", numUsers: NU, layers }, "bce", batch(10, 70, "binary"));
    check(neumf, { className: "NeuMF", numUsers: NU, layers }, "bpr", batch(11, 70, "binary"));
    const mf = new MF({ numUsers: NU, numItems: NI, factors: 3, embeddingInitStd: 0.5, seed: 7 });
    check(mf, { className: "MF", numUsers: NU }, "mse", batch(12, 70, "rating"));
    neumf.dispose();
    mf.dispose();
  } finally {
    setRowPadding(old);
  }
});

test("on wasm, the first MLP layer factored per distinct user and item (factored-input.ts) matches finite differences", async () => {
  await initBackend({ backend: "wasm" });
  const old = setFactoredInput("always");
  try {
    // Widths of 4 so the wasm kernels of the factored layer run; 12 examples over 5 users and 7 items share rows.
    const layers = [8, 4, 4];
    const mlp = new MLP({ numUsers: NU, numItems: NI, layers, embeddingInitStd: 0.5, seed: 8 });
    check(mlp, { className: "MLP", numUsers: NU, layers }, "bce", batch(13, 12, "binary"));
    const neumf = new NeuMF({ numUsers: NU, numItems: NI, factors: 4, layers, embeddingInitStd: 0.5, seed: 9 });
    check(neumf, { className: "NeuMF", numUsers: NU, layers }, "bce", batch(14, 12, "binary"));
    check(neumf, { className: "NeuMF", numUsers: NU, layers }, "bpr", batch(15, 12, "binary"));
    mlp.dispose();
    neumf.dispose();
  } finally {
    setFactoredInput(old);
  }
});

/** The masks a model draws, in its order: [rows, 2, dim] blocks per example, dense [rows, width] per layer. */
function drawMasks(seed: number, rows: number, plan: { pair?: number; mlpHalf?: number; dense?: number[] }, embRate: number, denseRate: number): RefMasks {
  const rng = new Rng(seed).derive("dropout");
  const draw = (n: number, rate: number) => Float64Array.from({ length: n }, () => (rng.next() < rate ? 0 : 1 / (1 - rate)));
  const perExample = (a: Float64Array, width: number) => Array.from({ length: rows }, (_, e) => a.subarray(e * width, (e + 1) * width));
  const masks: RefMasks = {};
  if (plan.pair) masks.gmf = perExample(draw(rows * 2 * plan.pair, embRate), 2 * plan.pair);
  if (plan.mlpHalf) masks.mlpInput = perExample(draw(rows * 2 * plan.mlpHalf, embRate), 2 * plan.mlpHalf);
  if (plan.dense) masks.dense = plan.dense.map((width) => perExample(draw(rows * width, denseRate), width));
  return masks;
}

test("with embedding and dense dropout, gradients match finite differences under the same masks", async () => {
  await initBackend({ backend: "cpu" });
  const layers = [6, 4, 3];
  const seed = 11;
  const neumf = new NeuMF({ numUsers: NU, numItems: NI, factors: 2, layers, embeddingInitStd: 0.5, seed, embeddingDropout: 0.3, denseDropout: 0.25 });
  const b = batch(13, 12, "binary");
  const masks = drawMasks(seed, 12, { pair: 2, mlpHalf: 3, dense: [4, 3] }, 0.3, 0.25);
  assert.ok(masks.gmf!.some((m) => m.includes(0)), "the test draws some dropped units");
  check(neumf, { className: "NeuMF", numUsers: NU, layers }, "bce", b, masks);
  const mf = new MF({ numUsers: NU, numItems: NI, factors: 3, embeddingInitStd: 0.5, seed, embeddingDropout: 0.4 });
  check(mf, { className: "MF", numUsers: NU }, "mse", batch(14, 9, "rating"), drawMasks(seed, 9, { pair: 3 }, 0.4, 0));
  neumf.dispose();
  mf.dispose();
});

test("gradients match with large (unpacked) embedding tables and a dense layer too large to pack", async () => {
  await initBackend({ backend: "cpu" });
  // 2100 rows x 8 = 16800 values: tables above PACK_LIMIT get their own optimiser slot; a 130 x 128 kernel too, so
  // its gradient is split from the joint kernel+bias product.
  const nu = 2000;
  const ni = 100;
  const layers = [130, 128, 4];
  const neumf = new NeuMF({ numUsers: nu, numItems: ni, factors: 8, layers, embeddingInitStd: 0.5, seed: 12 });
  const b = batch(15, 6, "binary", nu, ni);
  // Rows that the batch touches, so some sampled entries have non-zero gradients.
  check(neumf, { className: "NeuMF", numUsers: nu, layers }, "bce", b, {}, 400);
  const { grads } = neumf.lossAndGradients(b, "bce");
  const row = b.users[0]!;
  assert.ok(grads.get("gmf.embedding")!.values.slice(row * 8, row * 8 + 8).some((v) => v !== 0), "touched rows get gradient");
  neumf.dispose();
});
