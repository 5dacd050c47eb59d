/**
 * Non-personalised baselines as ordinary Recommenders, so that every protocol and table treats them like models.
 * A learned model that does not beat MostPopular under full ranking has not learned much.
 */
import type { Interactions } from "../data/interactions";
import type { SyntheticDataset, SyntheticTruth } from "../data/synthetic";
import { Rng, toRng } from "../random";
import { checkPairs, checkUsers } from "./binary-matrix";
import type { Recommender } from "./recommender";

/** Scores every item by its number of training interactions, for every user alike. */
export class MostPopular implements Recommender {
  readonly name = "MostPopular";
  readonly numUsers: number;
  readonly numItems: number;
  /** Training interactions per item (float32, exact for counts below 2^24). */
  readonly popularity: Float32Array;

  /** Counts item popularity on `train` (the training split only: counting held-out data would leak it). */
  constructor(train: Interactions) {
    this.numUsers = train.numUsers;
    this.numItems = train.numItems;
    this.popularity = Float32Array.from(train.itemCounts());
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    checkPairs(this, users, items);
    const out = new Float32Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = this.popularity[items[i]!]!;
    return out;
  }

  async scoreAll(users: Int32Array): Promise<Float32Array> {
    checkUsers(this, users);
    const out = new Float32Array(users.length * this.numItems);
    for (let b = 0; b < users.length; b++) out.set(this.popularity, b * this.numItems);
    return out;
  }
}

export interface RandomRecommenderOptions {
  numUsers: number;
  numItems: number;
  /** Seed or generator; the scores depend only on it (through `derive("random-recommender")`). Default: 0. */
  seed?: number | Rng;
}

/**
 * Scores each (user, item) pair with a pseudo-random number in [0, 1) that is a hash of (seed, user, item):
 * deterministic per seed, identical through `score` and `scoreAll`, and independent of call order or batching.
 * Its expected HR@k under full ranking is about k / (number of candidates).
 */
export class RandomRecommender implements Recommender {
  readonly name = "Random";
  readonly numUsers: number;
  readonly numItems: number;
  private readonly key: number;

  constructor(options: RandomRecommenderOptions) {
    const { numUsers, numItems } = options;
    if (!Number.isInteger(numUsers) || numUsers < 1 || !Number.isInteger(numItems) || numItems < 1) {
      throw new Error(`RandomRecommender: numUsers and numItems must be positive integers, got ${numUsers} x ${numItems}`);
    }
    this.numUsers = numUsers;
    this.numItems = numItems;
    this.key = toRng(options.seed ?? 0).derive("random-recommender").nextUint32();
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    checkPairs(this, users, items);
    const out = new Float32Array(items.length);
    for (let i = 0; i < items.length; i++) out[i] = pairScore(this.key, users[i]!, items[i]!);
    return out;
  }

  async scoreAll(users: Int32Array): Promise<Float32Array> {
    checkUsers(this, users);
    const n = this.numItems;
    const out = new Float32Array(users.length * n);
    for (let b = 0, o = 0; b < users.length; b++) {
      const u = users[b]!;
      for (let i = 0; i < n; i++, o++) out[o] = pairScore(this.key, u, i);
    }
    return out;
  }
}

/**
 * A uniform value in [0, 1) from (key, user, item): two rounds of murmur3's 32-bit finaliser, one folding in the
 * user, one the item. 24 bits are kept so that the float32 score is exact; equal scores then occur (rarely) and
 * count as ties.
 */
function pairScore(key: number, user: number, item: number): number {
  const h = fmix32(fmix32(key ^ Math.imul(user, 0x9e3779b1)) ^ Math.imul(item, 0x85ebca77));
  return (h >>> 8) / 16777216;
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A synthetic world's true preference as a Recommender: the ranking no model can beat in expectation (the world's
 * ceiling), for tables beside the learned models.
 */
export class GroundTruth implements Recommender {
  readonly name = "ground truth";
  readonly numUsers: number;
  readonly numItems: number;
  private readonly truth: SyntheticTruth;

  constructor(world: Pick<SyntheticDataset, "truth" | "interactions">) {
    this.numUsers = world.interactions.numUsers;
    this.numItems = world.interactions.numItems;
    this.truth = world.truth;
  }

  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    checkPairs(this, users, items);
    return this.truth.score(users, items);
  }

  async scoreAll(users: Int32Array): Promise<Float32Array> {
    checkUsers(this, users);
    return this.truth.scoreMatrix(users);
  }
}
