import { test } from "node:test";
import assert from "node:assert/strict";
import { gridConfigs, parseParameter, randomConfigs, withParameters } from "../../lib/experiments/grid";

const base = { label: "NeuMF", model: "neumf", options: { factors: 8 }, training: { epochs: 3 } };

test("an ablation grid is every combination, last parameter fastest; training settings go to training", () => {
  const configs = gridConfigs(base, { embeddingDropout: [0, 0.2], denseL2: [0, 1e-4], batchSize: [256, 1024] });
  assert.equal(configs.length, 8);
  assert.equal(configs[0]!.label, "NeuMF embeddingDropout=0 denseL2=0 batchSize=256");
  assert.equal(configs[1]!.label, "NeuMF embeddingDropout=0 denseL2=0 batchSize=1024");
  assert.equal(configs[7]!.label, "NeuMF embeddingDropout=0.2 denseL2=0.0001 batchSize=1024");
  assert.deepEqual(configs[7]!.options, { factors: 8, embeddingDropout: 0.2, denseL2: 1e-4 });
  assert.deepEqual(configs[7]!.training, { epochs: 3, batchSize: 1024 });
  assert.equal(new Set(configs.map((c) => c.label)).size, 8, "labels are distinct");
  assert.deepEqual(base.options, { factors: 8 }, "the base is not modified");
  assert.throws(() => gridConfigs(base, { factors: [] }), /'factors' needs a non-empty list/);
});

test("learningRate sets the optimiser's rate and keeps its other settings", () => {
  const c = withParameters({ model: "mf", training: { optimizer: { name: "adam", learningRate: 1e-3 } } }, { learningRate: 0.01 });
  assert.deepEqual(c.training, { optimizer: { name: "adam", learningRate: 0.01 } });
});

test("random search draws distinct configurations within the ranges, the same ones for the same seed", () => {
  const space = { factors: [16, 32, 64], l2: { min: 1e-6, max: 1e-2, log: true }, epochs: { min: 2, max: 9, integer: true } };
  const a = randomConfigs({ model: "mf" }, space, 20, 7);
  const b = randomConfigs({ model: "mf" }, space, 20, 7);
  const c = randomConfigs({ model: "mf" }, space, 20, 8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.length, 20);
  assert.equal(new Set(a.map((x) => x.label)).size, 20);
  for (const x of a) {
    const l2 = x.options!.l2 as number;
    assert.ok(l2 >= 1e-6 * 0.999 && l2 <= 1e-2 * 1.001, String(l2));
    assert.ok([16, 32, 64].includes(x.options!.factors as number));
    const epochs = x.training!.epochs!;
    assert.ok(Number.isInteger(epochs) && epochs >= 2 && epochs <= 9);
  }
  // Log-uniform: about half the draws below the geometric middle 1e-4 (uniform would put ~1% there).
  const low = randomConfigs({ model: "mf" }, { l2: { min: 1e-6, max: 1e-2, log: true } }, 200, 1).filter((x) => (x.options!.l2 as number) < 1e-4).length;
  assert.ok(low > 70 && low < 130, `${low} of 200 below 1e-4`);
  // A space of lists with fewer points than the budget gives each point once.
  assert.equal(randomConfigs({ model: "mf" }, { factors: [8, 16] }, 10).length, 2);
  assert.throws(() => randomConfigs({ model: "mf" }, { l2: { min: 0, max: 1, log: true } }, 3), /log-uniform, so min must be > 0/);
});

test("parameters from the command line: lists, list values and ranges", () => {
  assert.deepEqual(parseParameter("factors=16,32,64"), ["factors", [16, 32, 64]]);
  assert.deepEqual(parseParameter("layers=64/32/16,32/16"), ["layers", [[64, 32, 16], [32, 16]]]);
  assert.deepEqual(parseParameter("loss=bce,bpr"), ["loss", ["bce", "bpr"]]);
  assert.deepEqual(parseParameter("l2=1e-6:1e-2:log"), ["l2", { min: 1e-6, max: 1e-2, log: true }]);
  assert.deepEqual(parseParameter("epochs=2:9:int"), ["epochs", { min: 2, max: 9, integer: true }]);
  assert.throws(() => parseParameter("factors"), /is not name=values/);
  assert.throws(() => parseParameter("l2=1:2:cubic"), /unknown range flag 'cubic'/);
});
