/**
 * Hyper-parameter search selects on validation only: candidates' runs carry validation metrics and no test
 * metrics, the selection is the candidate that is best on validation, and only the selected one meets the test set.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { registerBaseline } from "../../lib/experiments/runs";
import { searchHyperparameters } from "../../lib/experiments/search";
import { GroundTruth, MostPopular, RandomRecommender } from "../../lib/models/baselines";
import type { SyntheticDataset } from "../../lib/data/synthetic";

const dataset = { name: "synthetic", synthetic: { numUsers: 150, numItems: 300, interactionsPerUser: 20, seed: 5 } };

// A model whose one option picks how good it is: the world's truth beats popularity beats chance on any split.
const built: string[] = [];
registerBaseline("quality-knob", (train, options, seed, data) => {
  built.push(String(options.quality));
  if (options.quality === "truth") return new GroundTruth(data as SyntheticDataset);
  if (options.quality === "popular") return new MostPopular(train);
  return new RandomRecommender({ numUsers: train.numUsers, numItems: train.numItems, seed });
});

test("a grid search picks the best candidate on validation and evaluates only it on test", async () => {
  await initBackend({ backend: "wasm" });
  built.length = 0;
  const r = await searchHyperparameters({ dataset, base: { label: "knob", model: "quality-knob" }, space: { quality: ["random", "popular", "truth"] }, progress: false });
  assert.equal(r.trials.length, 3);
  assert.deepEqual(r.trials.map((t) => t.config.options!.quality), ["truth", "popular", "random"], "trials best first by validation NDCG");
  assert.ok(r.trials[0]!.validation.ndcg > r.trials[1]!.validation.ndcg && r.trials[1]!.validation.ndcg > r.trials[2]!.validation.ndcg);
  for (const t of r.trials) assert.equal(t.validation["sampled hr"], undefined, "selection runs never run the test protocols");
  assert.equal(r.best.options!.quality, "truth");
  assert.deepEqual(built, ["random", "popular", "truth", "truth"], "three selection runs, then the selected one once more");
  assert.ok(r.test.metrics.ndcg > 0 && r.test.metrics["sampled hr"]! > 0, "the selected configuration's test metrics");
  assert.ok(r.test.validation && Math.abs(r.test.validation.ndcg! - r.trials[0]!.validation.ndcg!) < 1e-12, "the test run is the selected run");
});

test("random search over a trained model within a budget; bad spaces are errors that say why", async () => {
  await initBackend({ backend: "wasm" });
  const r = await searchHyperparameters({
    dataset,
    base: { model: "mf", training: { epochs: 1, batchSize: 256 } },
    space: { factors: [4, 8], embeddingL2: { min: 1e-7, max: 1e-4, log: true } },
    budget: 3,
    seed: 2,
    progress: false,
  });
  assert.equal(r.trials.length, 3);
  assert.ok(r.trials.every((t) => Number.isFinite(t.validation.ndcg)));
  assert.ok(r.trials[0]!.validation.ndcg! >= r.trials[2]!.validation.ndcg!);
  assert.equal(r.test.label, r.best.label);
  assert.equal(r.test.epochs, 1);
  await assert.rejects(searchHyperparameters({ dataset, base: { model: "mf" }, space: { factors: [1, 2, 3, 4] }, budget: 2, progress: false }), /grid has 4 configurations, more than the budget 2/);
  await assert.rejects(searchHyperparameters({ dataset, base: { model: "mf" }, space: { l2: { min: 1, max: 2 } }, strategy: "grid", progress: false }), /ranges .* need strategy 'random'/);
});
