/** trainAndEvaluate: the per-epoch test curve ends on the reported test metrics; any trainable model runs through it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { generateSynthetic } from "../../lib/data";
import { autodiffMF } from "../../lib/models";
import { trainAndEvaluate } from "../../lib/experiments/train-and-evaluate";

const world = generateSynthetic({ numUsers: 120, numItems: 300, interactionsPerUser: 12, seed: 4 });

test("with validation, the per-epoch test curve masks what the final test evaluation masks: its best epoch is the reported number", async () => {
  await initBackend({ backend: "wasm" });
  const r = await trainAndEvaluate(world, { model: "mf", modelOptions: { factors: 8 }, epochs: 4, batchSize: 128, validation: true, testEveryEpoch: true, seed: 2, progress: false });
  const best = r.history.best!;
  assert.ok(best, "validation tracks a best epoch");
  const curve = r.history.epochs[best.epoch - 1]!.validation!;
  // The final weights are the best epoch's (restored), so the curve at that epoch must equal the final evaluation.
  assert.equal(curve["test ndcg@10"], r.test.full!.ndcg);
  assert.equal(curve["test hr@10"], r.test.full!.hr);
  assert.ok(r.split.validation && r.split.validation.length > 0);
  r.model.dispose();
});

test("trainAndEvaluate takes any model that implements the training contract (here an AutodiffModel from a factory)", async () => {
  await initBackend({ backend: "wasm" });
  const r = await trainAndEvaluate(world, {
    model: (dataset) => autodiffMF({ numUsers: dataset.interactions.numUsers, numItems: dataset.interactions.numItems, factors: 8, seed: 1 }),
    epochs: 2,
    batchSize: 128,
    progress: false,
  });
  assert.equal(r.model.name, "AutodiffMF");
  assert.equal(r.history.epochs.length, 2);
  assert.ok(r.test.full!.ndcg > 0 && r.test.sampled!.hr > 0);
  assert.deepEqual(r.record.split, { method: "leave-one-out", validation: false });
  await assert.rejects(
    trainAndEvaluate(world, { model: autodiffMF({ numUsers: 5, numItems: 300 }), epochs: 1, progress: false }),
    /the model has 5 users x 300 items but synthetic has 120 x 300/,
  );
  r.model.dispose();
});
