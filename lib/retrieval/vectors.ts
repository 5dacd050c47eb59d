/**
 * The vectors an index searches for a model, such that <user vector, item vector> ranks items as the model does:
 * a Two-Tower's towers (the user tower computed live, per request), or a factorised model's factors. MF's item bias
 * rides along as one more coordinate: items [q_i | b_i], users [p_u | 1], so <.,.> = <p_u, q_i> + b_i (the user and
 * global biases do not change a user's ranking). Models whose score is not a dot product (GMF, MLP, NeuMF) cannot
 * be searched by an index: their items have no vectors.
 */
import type { Recommender } from "../models/recommender";
import { TwoTower } from "../models/two-tower/model";

export interface RetrievalVectors {
  dim: number;
  /** Every item's vector, [numItems x dim] row-major; the index ids are the item indices. */
  items: Float32Array;
  /** The vectors of these users [users.length x dim], computed now (a Two-Tower's user tower runs live). */
  users(users: Int32Array): Float32Array;
  /** Where the vectors come from, for reports. */
  source: string;
}

export function retrievalVectors(model: Recommender): RetrievalVectors {
  if (model instanceof TwoTower) {
    return { dim: model.getConfig().dim, items: model.itemVectors(), users: (u) => model.userVectors(u), source: "two-tower: item tower once, user tower live" };
  }
  if (!model.factors) {
    throw new Error(`${model.name} scores a pair with more than a dot product, so its items cannot be put in a vector index; index an MF or a TwoTower`);
  }
  const f = model.factors();
  const d = f.dim;
  if (!f.itemBias) return { dim: d, items: f.items, users: (u) => rows(f.users, d, u), source: `${model.name} factors` };
  const items = new Float32Array(model.numItems * (d + 1));
  for (let i = 0; i < model.numItems; i++) {
    items.set(f.items.subarray(i * d, (i + 1) * d), i * (d + 1));
    items[i * (d + 1) + d] = f.itemBias[i]!;
  }
  return {
    dim: d + 1,
    items,
    users: (u) => {
      const out = new Float32Array(u.length * (d + 1));
      u.forEach((user, k) => {
        out.set(f.users.subarray(user * d, (user + 1) * d), k * (d + 1));
        out[k * (d + 1) + d] = 1;
      });
      return out;
    },
    source: `${model.name} factors with the item bias as one more coordinate`,
  };
}

function rows(matrix: Float32Array, d: number, users: Int32Array): Float32Array {
  const out = new Float32Array(users.length * d);
  users.forEach((u, k) => out.set(matrix.subarray(u * d, (u + 1) * d), k * d));
  return out;
}
