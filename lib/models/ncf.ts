/**
 * Neural Collaborative Filtering (He et al., "Neural Collaborative Filtering", WWW 2017): GMF, MLP and their
 * fusion NeuMF, with hand-written forward and backward passes.
 *
 *   GMF:    z = w_g . (p_u * q_i) + b                      (p, q: GMF embeddings, * elementwise)
 *   MLP:    h_0 = [p'_u, q'_i];  h_k = relu(W_k h_{k-1} + b_k);  z = w_m . h_L + b
 *   NeuMF:  z = w_g . (p_u * q_i) + w_m . h_L + b          (one linear layer over the concatenation [gmf, h_L])
 *
 * The MLP tower `layers` lists widths from the input: [64, 32, 16, 8] means an input of 64 = two embeddings of 32
 * (the paper's MLP embedding size is layers[0] / 2), then dense layers 64->32->16->8.
 *
 * Why by hand: on the wasm backend a training step is bounded by the number of kernels and by a few slow kernel
 * shapes, not by arithmetic (DESIGN.md; bench/probe-kernels.ts). Autodiff of the same model ran ~305-340 kernels
 * per step with Adam; this step runs 48 on wasm (46 with the factored first layer; bench/train.ts prints the count). Choices, each measured:
 * - both embeddings of a pair come from one gatherND over a table of users + items (see batch.ts); the MLP input is
 *   that [rows, 2, d] block reshaped, so there is no concat before the first layer;
 * - dense layers are fused matMul + bias + relu; the output layer is one fused matMul per branch;
 * - where a batch repeats users and items (medium and large batches), the first MLP layer runs once per distinct
 *   user and item instead of once per pair: [p'_u, q'_i] W = p'_u W_u + q'_i W_i (factored-input.ts; at batch 4096
 *   on MovieLens-100K sizes it takes ~37% of the per-pair layer's products);
 * - a kernel's and its bias's gradients come from one product [X^T; 1] dZ (a bias is a weight on a constant 1);
 *   on wasm that product is one SIMD kernel reading X and dZ in place (kernels/weight-grad.ts), elsewhere a
 *   transpose, a concat and a matMul (matMul with transposeA takes a slow path on wasm);
 * - the loss has its own gradient (lib/train/losses.ts) and the optimiser updates all small weights as one
 *   vector (lib/train/optimizers.ts);
 * - on wasm, gathers, scatters, the GMF backward, relu backward, the output layer's gradient, the loss and Adam
 *   run as small WebAssembly SIMD or heap kernels (./kernels), each tested against the tf ops it replaces, which
 *   remain the path on every other backend.
 */
import * as tf from "@tensorflow/tfjs";
import { putJointGradient, type GradMap, type ParamSpec, type WeightMap } from "../nn/params";
import { checkIds, type PairBatch } from "./batch";
import { weightGradient } from "../nn/kernels/weight-grad";
import { outputGrad } from "../nn/kernels/glue";
import { gatherTable as gather, outputGradient, pairProductGrad, reluGrad, scatterAddRows } from "../nn/kernels/rows";
import { COMMON_KEYS, checkKnownKeys, resolveCommon, type CommonOptions, type ResolvedCommon } from "./options";
import { HandWrittenModel, type ForwardResult } from "./hand-written";
import { dropoutMask, splitPairMask, swapHalves } from "../nn/dropout";
import { factoredFirstLayer } from "./factored-input";
import { transposeSmall } from "../nn/kernels/small-matrix";

export interface GMFOptions extends CommonOptions {
  /** Size of the GMF user and item embeddings (the paper's predictive factors). Default 8. */
  factors?: number;
  /** Standard deviation of the normal initialisation of embeddings. Default 0.01 (He et al.; the PyTorch anchor). */
  embeddingInitStd?: number;
}

export interface MLPOptions extends CommonOptions {
  /** Widths of the tower from its input: layers[0] = 2 x embedding size. Default [64, 32, 16, 8]. */
  layers?: number[];
  /** Standard deviation of the normal initialisation of embeddings. Default 0.01. */
  embeddingInitStd?: number;
}

export interface NeuMFOptions extends CommonOptions {
  /** Size of the GMF embeddings. Default 8. */
  factors?: number;
  /** MLP tower widths from its input (layers[0] = 2 x MLP embedding size). Default [64, 32, 16, 8]. */
  layers?: number[];
  /** Standard deviation of the normal initialisation of embeddings. Default 0.01. */
  embeddingInitStd?: number;
}

export type GMFConfig = ResolvedCommon & Required<Omit<GMFOptions, keyof CommonOptions>>;
export type MLPConfig = ResolvedCommon & Required<Omit<MLPOptions, keyof CommonOptions>>;
export type NeuMFConfig = ResolvedCommon & Required<Omit<NeuMFOptions, keyof CommonOptions>>;

export const DEFAULT_FACTORS = 8;
export const DEFAULT_LAYERS: readonly number[] = [64, 32, 16, 8];
export const DEFAULT_NCF_INIT_STD = 0.01;

/** Defaults of GMF, in one place. The caller's object is not modified. */
export function resolveGMFOptions(options: GMFOptions): GMFConfig {
  checkKnownKeys("GMF", options, [...COMMON_KEYS, "factors", "embeddingInitStd"]);
  const cfg: GMFConfig = {
    ...resolveCommon("GMF", options),
    factors: options.factors ?? DEFAULT_FACTORS,
    embeddingInitStd: options.embeddingInitStd ?? DEFAULT_NCF_INIT_STD,
  };
  checkFactors("GMF", cfg.factors);
  checkStd("GMF", cfg.embeddingInitStd);
  return cfg;
}

/** Defaults of MLP, in one place. */
export function resolveMLPOptions(options: MLPOptions): MLPConfig {
  checkKnownKeys("MLP", options, [...COMMON_KEYS, "layers", "embeddingInitStd"]);
  const cfg: MLPConfig = {
    ...resolveCommon("MLP", options),
    layers: [...(options.layers ?? DEFAULT_LAYERS)],
    embeddingInitStd: options.embeddingInitStd ?? DEFAULT_NCF_INIT_STD,
  };
  checkLayers("MLP", cfg.layers);
  checkStd("MLP", cfg.embeddingInitStd);
  return cfg;
}

/** Defaults of NeuMF, in one place. */
export function resolveNeuMFOptions(options: NeuMFOptions): NeuMFConfig {
  checkKnownKeys("NeuMF", options, [...COMMON_KEYS, "factors", "layers", "embeddingInitStd"]);
  const cfg: NeuMFConfig = {
    ...resolveCommon("NeuMF", options),
    factors: options.factors ?? DEFAULT_FACTORS,
    layers: [...(options.layers ?? DEFAULT_LAYERS)],
    embeddingInitStd: options.embeddingInitStd ?? DEFAULT_NCF_INIT_STD,
  };
  checkFactors("NeuMF", cfg.factors);
  checkLayers("NeuMF", cfg.layers);
  checkStd("NeuMF", cfg.embeddingInitStd);
  return cfg;
}

function checkFactors(where: string, f: number): void {
  if (!Number.isInteger(f) || f < 1) throw new Error(`${where}: factors must be a positive integer, got ${f}`);
}

function checkStd(where: string, s: number): void {
  if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`${where}: embeddingInitStd must be a number >= 0, got ${s}`);
}

function checkLayers(where: string, layers: number[]): void {
  if (!Array.isArray(layers) || layers.length < 2) {
    throw new Error(`${where}: layers must list at least the input width and one layer, e.g. [64, 32, 16, 8]; got ${JSON.stringify(layers)}`);
  }
  if (layers.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`${where}: layers must be positive integers, got ${JSON.stringify(layers)}`);
  if (layers[0]! % 2 !== 0) {
    throw new Error(`${where}: layers[0] is the concatenation of a user and an item embedding and must be even, got ${layers[0]}`);
  }
}

/** Which branches a model has and their sizes. */
export interface Branches {
  gmf: number | null;
  mlp: number[] | null;
}

/** Weight names (stable: they are the keys of saved weights). */
export const W = {
  gmfEmbedding: "gmf.embedding",
  mlpEmbedding: "mlp.embedding",
  kernel: (k: number) => `mlp.dense${k}.kernel`,
  bias: (k: number) => `mlp.dense${k}.bias`,
  outGmf: "output.gmf",
  outMlp: "output.mlp",
  outBias: "output.bias",
} as const;

export function ncfSpecs(numRows: number, b: Branches, std: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  // PyTorch nn.Linear's default initialisation (kaiming_uniform with a = sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  // for weight and bias, as in the PyTorch anchor.
  const uniform = (fanIn: number) => ({ kind: "uniform" as const, limit: 1 / Math.sqrt(fanIn) });
  if (b.gmf !== null) specs.push({ name: W.gmfEmbedding, shape: [numRows, b.gmf], group: "embedding", init: { kind: "normal", std } });
  if (b.mlp !== null) {
    const layers = b.mlp;
    specs.push({ name: W.mlpEmbedding, shape: [numRows, layers[0]! / 2], group: "embedding", init: { kind: "normal", std } });
    for (let k = 0; k + 1 < layers.length; k++) {
      specs.push({ name: W.kernel(k), shape: [layers[k]!, layers[k + 1]!], group: "dense", init: uniform(layers[k]!) });
      specs.push({ name: W.bias(k), shape: [layers[k + 1]!], group: "dense", init: uniform(layers[k]!) });
    }
  }
  const outFanIn = (b.gmf ?? 0) + (b.mlp ? b.mlp[b.mlp.length - 1]! : 0);
  if (b.gmf !== null) specs.push({ name: W.outGmf, shape: [b.gmf, 1], group: "dense", init: uniform(outFanIn) });
  if (b.mlp !== null) specs.push({ name: W.outMlp, shape: [b.mlp[b.mlp.length - 1]!, 1], group: "dense", init: uniform(outFanIn) });
  specs.push({ name: W.outBias, shape: [1], group: "dense", init: uniform(outFanIn) });
  return specs;
}

/** GMF, MLP and NeuMF are this class with one or both branches. */
abstract class NCFModel<C extends ResolvedCommon & { embeddingInitStd: number }> extends HandWrittenModel<C> {
  private readonly branches: Branches;
  private scratch: Int32Array | null = null;

  /** -1 per table row, for distinctRows (kept between steps: a catalogue-sized fill per step would cost more). */
  private rowScratch(): Int32Array {
    return (this.scratch ??= new Int32Array(this.numUsers + this.numItems).fill(-1));
  }

  protected constructor(cfg: C, branches: Branches, weights?: WeightMap) {
    super(cfg, ncfSpecs(cfg.numUsers + cfg.numItems, branches, cfg.embeddingInitStd), weights);
    this.branches = branches;
  }

  protected forward(batch: PairBatch, training: boolean): ForwardResult {
    const p = this.params;
    const { rows, pairs } = batch;
    const numRows = this.numUsers + this.numItems;
    const embRate = training ? this.cfg.embeddingDropout : 0;
    const denseRate = training ? this.cfg.denseDropout : 0;
    /** Each branch: its term for the output layer and its backward, given d term (computed on demand) and dz. */
    const branches: { term: tf.Tensor2D; outName: string; back: (dTerm: () => tf.Tensor2D, grads: GradMap, ones: () => tf.Tensor2D, dz: tf.Tensor2D) => void }[] = [];

    if (this.branches.gmf !== null) {
      const f = this.branches.gmf;
      const table = p.get(W.gmfEmbedding) as tf.Tensor2D;
      let pu = gather(table, batch.userRows); // [rows, f]
      let qi = gather(table, batch.itemRows);
      let mask: Float32Array | null = null; // [rows, 2, f]: the masks of p_u and q_i side by side
      if (embRate > 0) {
        mask = dropoutMask(this.dropoutRng, rows * 2 * f, embRate);
        const [mu, mi] = splitPairMask(mask, rows, f);
        pu = tf.mul(pu, tf.tensor2d(mu, [rows, f]));
        qi = tf.mul(qi, tf.tensor2d(mi, [rows, f]));
      }
      branches.push({
        term: tf.mul(pu, qi), // p_u * q_i
        outName: W.outGmf,
        back: (dTerm, grads, _ones, dz) => {
          // On wasm without dropout: one kernel from dz, w, p_u and q_i straight to the table gradient.
          const fused = mask ? null : pairProductGrad(pairs, pu, qi, dz, p.get(W.outGmf), numRows);
          if (fused) {
            grads.set(W.gmfEmbedding, fused);
            return;
          }
          // d p_u = dProd * q_i and d q_i = dProd * p_u: the partner of each vector is the swapped gather.
          let partner = tf.gatherND(table, batch.swapped!) as tf.Tensor3D; // [rows, 2, f]
          if (mask) partner = tf.mul(partner, tf.tensor3d(swapHalves(mask, rows, f), [rows, 2, f]));
          let dG = tf.mul(tf.reshape(dTerm(), [rows, 1, f]), partner);
          if (mask) dG = tf.mul(dG, tf.tensor3d(mask, [rows, 2, f]));
          grads.set(W.gmfEmbedding, tf.scatterND(pairs, dG, [numRows, f]));
        },
      });
    }

    if (this.branches.mlp !== null) {
      const layers = this.branches.mlp;
      const half = layers[0]! / 2;
      const table = p.get(W.mlpEmbedding) as tf.Tensor2D;
      // Without embedding dropout every pair's input is [p'_u, q'_i] as stored, so the first layer can run once per
      // distinct user and item (factored-input.ts); hs[0] is then never formed.
      const factored = embRate === 0 ? factoredFirstLayer(table, p.get(W.kernel(0)) as tf.Tensor2D, p.get(W.bias(0)), batch.hostPairs, this.rowScratch()) : null;
      let embMask: tf.Tensor3D | null = null;
      const hs: (tf.Tensor2D | null)[] = [null];
      if (!factored) {
        let x3 = tf.reshape(gather(table, pairs), [rows, 2, half]) as tf.Tensor3D; // [rows, 2, half]
        if (embRate > 0) {
          embMask = tf.tensor3d(dropoutMask(this.dropoutRng, rows * 2 * half, embRate), [rows, 2, half]);
          x3 = tf.mul(x3, embMask);
        }
        hs[0] = tf.reshape(x3, [rows, layers[0]!]); // [p'_u, q'_i], no concat needed
      }
      const masks: (tf.Tensor2D | null)[] = [];
      for (let k = 0; k + 1 < layers.length; k++) {
        let h =
          k === 0 && factored
            ? factored.h
            : (tf.fused.matMul({ a: hs[k]!, b: p.get(W.kernel(k)) as tf.Tensor2D, bias: p.get(W.bias(k)), activation: "relu" }) as tf.Tensor2D);
        let m: tf.Tensor2D | null = null;
        if (denseRate > 0) {
          m = tf.tensor2d(dropoutMask(this.dropoutRng, rows * layers[k + 1]!, denseRate), [rows, layers[k + 1]!]);
          h = tf.mul(h, m);
        }
        masks.push(m);
        hs.push(h);
      }
      branches.push({
        term: hs[hs.length - 1]!,
        outName: W.outMlp,
        back: (dTerm, grads, ones) => {
          let dh = dTerm();
          for (let k = layers.length - 2; k >= 0; k--) {
            const m = masks[k];
            if (m) dh = tf.mul(dh, m);
            // relu'(a) = step(h): h = relu(a) (times a positive dropout scale) is > 0 exactly where a > 0.
            const dA = (reluGrad(dh, hs[k + 1]!) ?? tf.mul(dh, tf.step(hs[k + 1]!))) as tf.Tensor2D;
            if (k === 0 && factored) {
              const { joint, dTable } = factored.backward(dA);
              putJointGradient(p, grads, [W.kernel(0), W.bias(0)], joint);
              grads.set(W.mlpEmbedding, dTable);
              return;
            }
            // [h^T; 1] dA = [dW; db] in one product (a bias is a weight on a constant input 1).
            const joint = weightGradient(hs[k]!, dA, true) ?? tf.matMul(tf.concat([tf.transpose(hs[k]!), ones()], 0), dA);
            putJointGradient(p, grads, [W.kernel(k), W.bias(k)], joint);
            const kernel = p.get(W.kernel(k));
            dh = tf.matMul(dA, transposeSmall(kernel) ?? (tf.transpose(kernel) as tf.Tensor2D));
          }
          let dX = tf.reshape(dh, [rows, 2, half]);
          if (embMask) dX = tf.mul(dX, embMask);
          grads.set(W.mlpEmbedding, scatterAddRows(pairs, dX, numRows) ?? tf.scatterND(pairs, dX, [numRows, half]));
        },
      });
    }

    // Output layer: one linear layer over [gmf, h_L], as one fused matMul per branch (no concat).
    const bias = p.get(W.outBias) as tf.Tensor1D;
    let logits = tf.fused.matMul({ a: branches[0]!.term, b: p.get(branches[0]!.outName) as tf.Tensor2D, bias }) as tf.Tensor2D;
    for (const br of branches.slice(1)) logits = tf.add(logits, tf.matMul(br.term, p.get(br.outName) as tf.Tensor2D));

    if (!training) return { logits };
    return {
      logits,
      backward: (dz) => {
        const grads: GradMap = new Map();
        let onesRow: tf.Tensor2D | null = null; // only the tf-op fallbacks need it
        const ones = () => (onesRow ??= tf.ones([1, rows]) as tf.Tensor2D);
        // [term_1^T; term_2^T; 1] dz = [d w_1; d w_2; d b]: the whole output layer's gradient in one product.
        const terms = branches.map((br) => br.term);
        const joint = outputGradient(terms, dz) ?? outputGrad(terms, dz) ?? tf.matMul(tf.concat([...branches.map((br) => tf.transpose(br.term)), ones()], 0), dz);
        putJointGradient(p, grads, [...branches.map((br) => br.outName), W.outBias], joint);
        for (const br of branches) {
          const w = p.get(br.outName);
          // d term = dz w^T, an outer product: a broadcast multiply (a matMul with inner size 1 is slow on wasm).
          br.back(() => tf.mul(dz, tf.reshape(w, [1, w.shape[0]!])) as tf.Tensor2D, grads, ones, dz);
        }
        return grads;
      },
    };
  }

  /**
   * Scores of every item for each user, without running the tower once per (user, item) pair. The first MLP
   * layer splits at the concatenation: [p'_u, q'_i] W_0 = p'_u W_u + q'_i W_i (W_u, W_i: the top and bottom
   * halves of W_0), so the item half is one product for all items (once per call) and the user half one product
   * per block of users; each pair then costs a broadcast add and relu instead of a 2d x width product. The GMF
   * term w_g . (p_u * q_i) = (p_u * w_g) . q_i is one [users x f] x [f x items] product. Evaluation mode: no
   * dropout. Equal to the pair path (Model.scoreAll) up to float rounding (test/models/ncf-score-all.test.ts).
   *
   * At MovieLens-100K size (943 x 1682, default NeuMF) a full-ranking evaluation took about 3.3x less CPU time
   * than through the pair path on wasm (0.46 s vs 1.5 s on a loaded 2-core machine; bench/eval.ts times both).
   * What remains is mostly the second layer's product, which the relu keeps per pair.
   */
  override async scoreAll(users: Int32Array): Promise<Float32Array> {
    this.checkAlive();
    checkIds(`${this.name}.scoreAll`, "users", users, this.numUsers);
    const numItems = this.numItems;
    const out = new Float32Array(users.length * numItems);
    const items = this.itemSide();
    const usersPerChunk = Math.max(1, Math.floor(SCORE_ALL_ROWS / numItems));
    try {
      for (let s = 0; s < users.length; s += usersPerChunk) {
        const block = users.subarray(s, Math.min(users.length, s + usersPerChunk));
        const t = tf.tidy(() => this.blockLogits(block, items));
        out.set((await t.data()) as Float32Array, s * numItems);
        t.dispose();
      }
    } finally {
      for (const t of [items.gmfT, items.mlp, items.userKernel]) t?.dispose();
    }
    return out;
  }

  /** What scoreAll computes once per call for all items: q_g^T [f, items] and q'_i W_i [items, width1]. The caller disposes. */
  private itemSide(): ItemSide {
    const p = this.params;
    const items = (name: string) => {
      const table = p.get(name) as tf.Tensor2D;
      return tf.slice(table, [this.numUsers, 0], [this.numItems, table.shape[1]]); // item rows follow user rows
    };
    const side: ItemSide = { gmfT: null, mlp: null, userKernel: null };
    if (this.branches.gmf !== null) side.gmfT = tf.tidy(() => tf.transpose(items(W.gmfEmbedding)));
    if (this.branches.mlp !== null) {
      const kernel = p.get(W.kernel(0)) as tf.Tensor2D;
      const [twoHalf, width] = kernel.shape;
      const half = twoHalf / 2;
      side.userKernel = tf.slice(kernel, [0, 0], [half, width]);
      side.mlp = tf.tidy(() => tf.matMul(items(W.mlpEmbedding), tf.slice(kernel, [half, 0], [half, width])) as tf.Tensor2D);
    }
    return side;
  }

  /** Logits [users, items] of one block of users (inside the caller's tidy). */
  private blockLogits(block: Int32Array, items: ItemSide): tf.Tensor2D {
    const p = this.params;
    const c = block.length;
    const n = this.numItems;
    const ids = tf.tensor2d(block, [c, 1], "int32"); // user rows come first in the tables
    const bias = p.get(W.outBias) as tf.Tensor1D;
    let logits: tf.Tensor2D | null = null;
    if (items.gmfT) {
      const pu = gather(p.get(W.gmfEmbedding) as tf.Tensor2D, ids); // [c, f]
      const weighted = tf.mul(pu, tf.reshape(p.get(W.outGmf), [1, -1])) as tf.Tensor2D;
      logits = tf.matMul(weighted, items.gmfT) as tf.Tensor2D;
    }
    if (items.mlp) {
      const layers = this.branches.mlp!;
      const userPart = tf.fused.matMul({ a: gather(p.get(W.mlpEmbedding) as tf.Tensor2D, ids), b: items.userKernel!, bias: p.get(W.bias(0)) });
      const width = layers[1]!;
      let h = tf.reshape(tf.relu(tf.add(tf.reshape(userPart, [c, 1, width]), tf.reshape(items.mlp, [1, n, width]))), [c * n, width]) as tf.Tensor2D;
      for (let k = 1; k + 1 < layers.length; k++) {
        h = tf.fused.matMul({ a: h, b: p.get(W.kernel(k)) as tf.Tensor2D, bias: p.get(W.bias(k)), activation: "relu" }) as tf.Tensor2D;
      }
      // The output bias rides on this product ([c * n, 1]: one output channel, so a bias of size 1 fits).
      const term = tf.reshape(tf.fused.matMul({ a: h, b: p.get(W.outMlp) as tf.Tensor2D, bias }), [c, n]) as tf.Tensor2D;
      return logits ? tf.add(logits, term) : term;
    }
    return tf.add(logits!, bias);
  }
}

/** Users per chunk of NCF's scoreAll: about this many (user, item) rows go through the tower at once. */
const SCORE_ALL_ROWS = 1 << 16;

/** The item side of NCF's scoreAll (null where the model lacks the branch), and the user half of W_0. */
type ItemSide = {
  gmfT: tf.Tensor2D | null;
  mlp: tf.Tensor2D | null;
  userKernel: tf.Tensor2D | null;
};


/** Generalized Matrix Factorization: a learned weighting of the elementwise product of user and item embeddings. */
export class GMF extends NCFModel<GMFConfig> {
  readonly name = "GMF";
  readonly className = "GMF";

  constructor(options: GMFOptions, weights?: WeightMap) {
    const cfg = resolveGMFOptions(options);
    super(cfg, { gmf: cfg.factors, mlp: null }, weights);
  }
}

/** The MLP branch of NCF: a relu tower over the concatenated user and item embeddings. */
export class MLP extends NCFModel<MLPConfig> {
  readonly name = "MLP";
  readonly className = "MLP";

  constructor(options: MLPOptions, weights?: WeightMap) {
    const cfg = resolveMLPOptions(options);
    super(cfg, { gmf: null, mlp: cfg.layers }, weights);
  }
}

/** Options of NeuMF.fromPretrained. */
export interface PretrainedOptions {
  /** Weight of the GMF side in the fused output layer; the MLP side gets 1 - alpha. Default 0.5 (He et al.). */
  alpha?: number;
  /** Options of the new model other than the sizes (dropout, L2, seed); sizes come from the pretrained models. */
  options?: Omit<NeuMFOptions, "numUsers" | "numItems" | "factors" | "layers">;
}

/** NeuMF: GMF and MLP side by side, fused by one linear layer over the concatenation of their last layers. */
export class NeuMF extends NCFModel<NeuMFConfig> {
  readonly name = "NeuMF";
  readonly className = "NeuMF";

  constructor(options: NeuMFOptions, weights?: WeightMap) {
    const cfg = resolveNeuMFOptions(options);
    super(cfg, { gmf: cfg.factors, mlp: cfg.layers }, weights);
  }

  /**
   * NeuMF initialised from a trained GMF and a trained MLP (He et al. 2017, section 3.4.1): embeddings and tower
   * copied, output layer h = [alpha * h_GMF, (1 - alpha) * h_MLP] and bias alpha * b_GMF + (1 - alpha) * b_MLP.
   * The paper then trains with plain SGD; pass that to compile().
   */
  static fromPretrained(gmf: GMF, mlp: MLP, pretrained: PretrainedOptions = {}): NeuMF {
    const alpha = pretrained.alpha ?? 0.5;
    if (!(alpha >= 0 && alpha <= 1)) throw new Error(`NeuMF.fromPretrained: alpha must be in [0, 1], got ${alpha}`);
    if (gmf.numUsers !== mlp.numUsers || gmf.numItems !== mlp.numItems) {
      throw new Error(
        `NeuMF.fromPretrained: GMF has ${gmf.numUsers} users x ${gmf.numItems} items but MLP has ${mlp.numUsers} x ${mlp.numItems}`,
      );
    }
    const g = gmf.getWeights();
    const m = mlp.getWeights();
    const gc = gmf.getConfig();
    const mc = mlp.getConfig();
    const weights: WeightMap = new Map();
    for (const [name, w] of g) if (name !== W.outGmf && name !== W.outBias) weights.set(name, w);
    for (const [name, w] of m) if (name !== W.outMlp && name !== W.outBias) weights.set(name, w);
    const scale = (w: { shape: number[]; values: Float32Array }, s: number) => ({ shape: w.shape, values: w.values.map((v) => v * s) });
    weights.set(W.outGmf, scale(g.get(W.outGmf)!, alpha));
    weights.set(W.outMlp, scale(m.get(W.outMlp)!, 1 - alpha));
    const b = alpha * g.get(W.outBias)!.values[0]! + (1 - alpha) * m.get(W.outBias)!.values[0]!;
    weights.set(W.outBias, { shape: [1], values: Float32Array.of(b) });
    return new NeuMF(
      { ...(pretrained.options ?? {}), numUsers: gc.numUsers, numItems: gc.numItems, factors: gc.factors, layers: mc.layers },
      weights,
    );
  }
}
