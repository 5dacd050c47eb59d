/**
 * ItemKNN, EASE and iALS learn something: on a small synthetic world each beats MostPopular's full-ranking
 * NDCG@10 by a clear margin (measured on seeds 1-3 of this world: MostPopular 0.11-0.15, the three 0.15-0.20).
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { generateSynthetic, leaveOneOut } from "../../lib/data";
import { evaluateFullRanking } from "../../lib/eval/full-ranking";
import { MostPopular } from "../../lib/models/baselines";
import { EASE, IALS, ItemKNN } from "../../lib/models";
import type { Recommender } from "../../lib/models/recommender";

const data = generateSynthetic({ numUsers: 600, numItems: 300, interactionsPerUser: 30, seed: 1 });
const { train, test: held } = leaveOneOut(data.interactions);
const ndcg = async (model: Recommender) => (await evaluateFullRanking(model, held, { train })).metrics.ndcg!;

before(async () => {
  await initBackend({ backend: "wasm" });
});

test("On a synthetic world, ItemKNN, EASE and iALS each beat MostPopular on full-ranking NDCG@10", async () => {
  const popular = await ndcg(new MostPopular(train));
  const ease = new EASE(train);
  const ials = new IALS(train, { factors: 16, iterations: 8, seed: 1 });
  await ials.fit();
  const results = { ItemKNN: await ndcg(new ItemKNN(train)), EASE: await ndcg(ease), iALS: await ndcg(ials) };
  ease.dispose();
  for (const [name, value] of Object.entries(results)) {
    // Leave-one-out over 600 users: NDCG@10's standard error is about 0.013; the measured gaps were 0.04-0.05.
    assert.ok(value > popular + 0.02, `${name}: NDCG@10 ${value.toFixed(4)} vs MostPopular ${popular.toFixed(4)}`);
  }
});
