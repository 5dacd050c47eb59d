/**
 * Biased matrix factorization (Koren, Bell & Volinsky, IEEE Computer 2009):
 *
 *   score(u, i) = mu + b_u + b_i + <p_u, q_i>
 *
 * linear in each factor. Trained on explicit ratings with loss "mse", or on implicit feedback with "bce" (sampled
 * negatives) or "bpr" (pairs). With well-tuned L2 it is the strong baseline of Rendle et al., "Neural
 * Collaborative Filtering vs. Matrix Factorization Revisited", RecSys 2020. `factors()` exposes p, q and b_i, so
 * evaluation and retrieval score all items with one matrix product.
 *
 * Layout (see batch.ts): one table of numUsers + numItems rows for the factors and one for the biases, users
 * first; a training step gathers both rows of every pair at once.
 */
import * as tf from "@tensorflow/tfjs";
import type { Factors } from "./recommender";
import type { GradMap, ParamSpec, WeightMap } from "../nn/params";
import type { PairBatch } from "./batch";
import { gatherTable, pairProductGrad, scatterAddRows } from "../nn/kernels/rows";
import { COMMON_KEYS, checkKnownKeys, resolveCommon, type CommonOptions, type ResolvedCommon } from "./options";
import { HandWrittenModel, type ForwardResult } from "./hand-written";
import { dropoutMask, splitPairMask, swapHalves } from "../nn/dropout";
import { checkIds } from "./batch";

export interface MFOptions extends CommonOptions {
  /** Latent dimension of p_u and q_i. Default 32. */
  factors?: number;
  /** Learn mu, b_u and b_i (true) or score with the dot product alone (false). Default true. */
  biases?: boolean;
  /** Standard deviation of the normal initialisation of p and q (biases start at 0). Default 0.1 (the PyTorch anchor). */
  embeddingInitStd?: number;
}

export type MFConfig = ResolvedCommon & Required<Omit<MFOptions, keyof CommonOptions>>;

/** Defaults of MF, in one place. The caller's object is not modified. */
export function resolveMFOptions(options: MFOptions): MFConfig {
  checkKnownKeys("MF", options, [...COMMON_KEYS, "factors", "biases", "embeddingInitStd"]);
  const cfg: MFConfig = {
    ...resolveCommon("MF", options),
    factors: options.factors ?? 32,
    biases: options.biases ?? true,
    embeddingInitStd: options.embeddingInitStd ?? 0.1,
  };
  if (!Number.isInteger(cfg.factors) || cfg.factors < 1) throw new Error(`MF: factors must be a positive integer, got ${cfg.factors}`);
  if (typeof cfg.biases !== "boolean") throw new Error(`MF: biases must be true or false, got ${cfg.biases}`);
  if (!(cfg.embeddingInitStd >= 0)) throw new Error(`MF: embeddingInitStd must be a number >= 0, got ${cfg.embeddingInitStd}`);
  return cfg;
}

export const MF_WEIGHTS = { factors: "mf.factors", bias: "mf.bias", globalBias: "mf.globalBias" } as const;

export function mfSpecs(cfg: MFConfig): ParamSpec[] {
  const rows = cfg.numUsers + cfg.numItems;
  const specs: ParamSpec[] = [
    { name: MF_WEIGHTS.factors, shape: [rows, cfg.factors], group: "embedding", init: { kind: "normal", std: cfg.embeddingInitStd } },
  ];
  if (cfg.biases) {
    specs.push({ name: MF_WEIGHTS.bias, shape: [rows, 1], group: "embedding", init: { kind: "zeros" } });
    specs.push({ name: MF_WEIGHTS.globalBias, shape: [1], group: "dense", init: { kind: "zeros" } });
  }
  return specs;
}

export class MF extends HandWrittenModel<MFConfig> {
  readonly name = "MF";
  readonly className = "MF";
  private readonly constants: Record<string, tf.Tensor> = {};

  constructor(options: MFOptions, weights?: WeightMap) {
    const cfg = resolveMFOptions(options);
    super(cfg, mfSpecs(cfg), weights);
  }

  private constant(key: string, make: () => tf.Tensor): tf.Tensor {
    return (this.constants[key] ??= tf.keep(make()));
  }

  protected forward(batch: PairBatch, training: boolean): ForwardResult {
    const { rows, pairs } = batch;
    const d = this.cfg.factors;
    const numRows = this.numUsers + this.numItems;
    const table = this.params.get(MF_WEIGHTS.factors) as tf.Tensor2D;
    const onesD = this.constant("onesD", () => tf.ones([d, 1])) as tf.Tensor2D;
    const rate = training ? this.cfg.embeddingDropout : 0;

    let pu = gatherTable(table, batch.userRows); // [rows, d]
    let qi = gatherTable(table, batch.itemRows);
    let mask: Float32Array | null = null; // [rows, 2, d]: masks of p_u and q_i side by side
    if (rate > 0) {
      mask = dropoutMask(this.dropoutRng, rows * 2 * d, rate);
      const [mu, mi] = splitPairMask(mask, rows, d);
      pu = tf.mul(pu, tf.tensor2d(mu, [rows, d]));
      qi = tf.mul(qi, tf.tensor2d(mi, [rows, d]));
    }
    const prod = tf.mul(pu, qi); // p_u * q_i; <p_u, q_i> is its product with a column of ones
    let logits: tf.Tensor2D;
    if (this.cfg.biases) {
      const onesPair = this.constant("onesPair", () => tf.ones([2, 1])) as tf.Tensor2D;
      const mu = this.params.get(MF_WEIGHTS.globalBias);
      const biasPair = tf.reshape(gatherTable(this.params.get(MF_WEIGHTS.bias) as tf.Tensor2D, pairs), [rows, 2]) as tf.Tensor2D; // b_u, b_i
      logits = tf.add(tf.fused.matMul({ a: prod, b: onesD, bias: mu }), tf.matMul(biasPair, onesPair));
    } else {
      logits = tf.matMul(prod, onesD);
    }
    if (!training) return { logits };
    return {
      logits,
      backward: (dz) => {
        const grads: GradMap = new Map();
        const dz3 = tf.reshape(dz, [rows, 1, 1]);
        // On wasm without dropout: one kernel from dz, p_u and q_i straight to the table gradient.
        const fused = mask ? null : pairProductGrad(pairs, pu, qi, dz, null, numRows);
        if (fused) {
          grads.set(MF_WEIGHTS.factors, fused);
        } else {
          // d p_u = dz q_i and d q_i = dz p_u: gathering with the swapped pairs puts each vector's partner beside it.
          let partner = tf.gatherND(table, batch.swapped!) as tf.Tensor3D;
          if (mask) partner = tf.mul(partner, tf.tensor3d(swapHalves(mask, rows, d), [rows, 2, d]));
          let dE = tf.mul(dz3, partner);
          if (mask) dE = tf.mul(dE, tf.tensor3d(mask, [rows, 2, d]));
          grads.set(MF_WEIGHTS.factors, tf.scatterND(pairs, dE, [numRows, d]));
        }
        if (this.cfg.biases) {
          const onesPair3 = this.constant("onesPair3", () => tf.ones([1, 2, 1]));
          const dB = tf.mul(dz3, onesPair3);
          grads.set(MF_WEIGHTS.bias, scatterAddRows(pairs, dB, numRows) ?? tf.scatterND(pairs, dB, [numRows, 1]));
          grads.set(MF_WEIGHTS.globalBias, tf.reshape(tf.sum(dz), [1]));
        }
        return grads;
      },
    };
  }

  /** All item scores for a block of users with one matrix product: P_users Q^T + b_i + b_u + mu. */
  override async scoreAll(users: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    checkIds(`${this.name}.scoreAll`, "users", users, this.numUsers);
    const nU = this.numUsers;
    const nI = this.numItems;
    const out = new Float32Array(users.length * nI);
    const itemRows = tf.tensor2d(Int32Array.from({ length: nI }, (_, i) => nU + i), [nI, 1], "int32");
    const itemPart = {
      qT: tf.tidy(() => tf.transpose(tf.gatherND(this.params.get(MF_WEIGHTS.factors), itemRows))),
      bI: this.cfg.biases ? tf.tidy(() => tf.reshape(tf.gatherND(this.params.get(MF_WEIGHTS.bias), itemRows), [1, nI])) : null,
    };
    const chunk = Math.max(1, Math.floor((1 << 22) / nI));
    try {
      for (let s = 0; s < users.length; s += chunk) {
        const block = users.subarray(s, Math.min(users.length, s + chunk));
        const t = tf.tidy(() => {
          const ids = tf.tensor2d(block, [block.length, 1], "int32");
          let scores = tf.matMul(tf.gatherND(this.params.get(MF_WEIGHTS.factors), ids) as tf.Tensor2D, itemPart.qT as tf.Tensor2D);
          if (this.cfg.biases) {
            const bU = tf.gatherND(this.params.get(MF_WEIGHTS.bias), ids); // [n, 1]
            scores = tf.add(tf.add(scores, itemPart.bI!), tf.add(bU, this.params.get(MF_WEIGHTS.globalBias)));
          }
          return scores;
        });
        out.set((await t.data()) as Float32Array, s * nI);
        t.dispose();
      }
    } finally {
      itemRows.dispose();
      itemPart.qT.dispose();
      itemPart.bI?.dispose();
    }
    return out;
  }

  /**
   * p (users), q (items) and b_i as row-major host arrays: score(u, i) = <p_u, q_i> + b_i + (b_u + mu), and the
   * last term does not change a user's ranking.
   */
  factors(): Factors {
    this.checkAlive();
    const d = this.cfg.factors;
    const nU = this.numUsers;
    const all = this.params.get(MF_WEIGHTS.factors).dataSync() as Float32Array;
    const f: Factors = { users: all.slice(0, nU * d), items: all.slice(nU * d), dim: d };
    if (this.cfg.biases) f.itemBias = (this.params.get(MF_WEIGHTS.bias).dataSync() as Float32Array).slice(nU);
    return f;
  }

  protected override disposeExtra(): void {
    for (const t of Object.values(this.constants)) t.dispose();
  }
}
