/**
 * Scores of every item for blocks of users, the input of full-ranking evaluation. Models with `factors()` are
 * scored with one matrix product per block on the active TensorFlow.js backend; the others through `scoreAll`.
 *
 * Why tf.matMul: at MovieLens-1M size (6,040 x 3,706, dim 64, 1.4 GFLOP) the whole evaluation took ~0.3 s with
 * the wasm backend's SIMD matMul and ~2.8 s with a tight 4-accumulator Float32Array loop (bench/eval.ts, 2 cores).
 * The item matrix is transposed once up front because a matMul with transposeB is several times slower than a
 * plain one on wasm (DESIGN.md). (Full-ranking evaluation of factor models on wasm now uses its own kernel,
 * rank-kernel.ts, which computes the same products ~1.8x faster and never reads scores back.)
 */
import * as tf from "@tensorflow/tfjs";
import type { Factors, Recommender } from "../models/recommender";

/** "auto": factors() when the model has it, else scoreAll; or force one path. */
export type ScoringMode = "auto" | "factors" | "scoreAll";

export interface ScoreBlock {
  /** The users of this block. */
  users: Int32Array;
  /** users.length x numItems, row-major. */
  scores: Float32Array;
}

/** About this many scores per block (16 MB of float32): large enough for fast products, small enough for memory. */
const SCORES_PER_BLOCK = 1 << 22;

/** Users per block by default for a catalogue of numItems items. */
export function defaultBlockSize(numItems: number): number {
  return Math.max(1, Math.floor(SCORES_PER_BLOCK / Math.max(1, numItems)));
}

/** Which path `scoreBlocks` takes for this model and mode; an error if "factors" is forced on a model without them. */
export function resolveScoring(model: Recommender, mode: ScoringMode = "auto"): "factors" | "scoreAll" {
  if (mode === "scoreAll") return "scoreAll";
  if (model.factors) return "factors";
  if (mode === "factors") {
    throw new Error(`scoring "factors" was requested but model ${model.name} has no factors(); use scoring "auto" or "scoreAll"`);
  }
  return "scoreAll";
}

/** Score `users` against every item, `blockSize` users at a time. */
export async function* scoreBlocks(
  model: Recommender,
  users: Int32Array,
  options: { blockSize?: number; scoring?: ScoringMode } = {},
): AsyncGenerator<ScoreBlock> {
  const blockSize = options.blockSize ?? defaultBlockSize(model.numItems);
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`blockSize must be a positive integer, got ${blockSize}`);
  if (resolveScoring(model, options.scoring) === "factors") {
    yield* factorBlocks(model, checkFactors(model, model.factors!()), users, blockSize);
    return;
  }
  for (let start = 0; start < users.length; start += blockSize) {
    const block = users.subarray(start, Math.min(users.length, start + blockSize));
    const scores = await model.scoreAll(block);
    if (!(scores instanceof Float32Array) || scores.length !== block.length * model.numItems) {
      throw new Error(
        `${model.name}.scoreAll(${block.length} users) returned ${describe(scores)}; expected a Float32Array of ` +
          `${block.length} x ${model.numItems} = ${block.length * model.numItems} scores (row-major, one row per user)`,
      );
    }
    yield { users: block, scores };
  }
}

function* factorBlocks(model: Recommender, f: Factors, users: Int32Array, blockSize: number): Generator<ScoreBlock> {
  const { dim, itemBias } = f;
  const numItems = model.numItems;
  const itemsT = tf.tidy(() => tf.tensor2d(f.items, [numItems, dim]).transpose());
  const rows = new Float32Array(Math.min(blockSize, users.length) * dim);
  try {
    for (let start = 0; start < users.length; start += blockSize) {
      const block = users.subarray(start, Math.min(users.length, start + blockSize));
      for (let b = 0; b < block.length; b++) rows.set(f.users.subarray(block[b]! * dim, (block[b]! + 1) * dim), b * dim);
      const product = tf.tidy(() => tf.matMul(tf.tensor2d(rows.subarray(0, block.length * dim), [block.length, dim]), itemsT));
      const scores = product.dataSync() as Float32Array;
      product.dispose();
      if (itemBias) {
        for (let b = 0, o = 0; b < block.length; b++) for (let i = 0; i < numItems; i++, o++) scores[o]! += itemBias[i]!;
      }
      yield { users: block, scores };
    }
  } finally {
    itemsT.dispose();
  }
}

/** The factors of `model`, checked against its sizes (an error says what is wrong and how to evaluate anyway). */
export function checkFactors(model: Recommender, f: Factors): Factors {
  const { dim } = f;
  const problems: string[] = [];
  if (!Number.isInteger(dim) || dim < 1) problems.push(`dim = ${dim} is not a positive integer`);
  if (f.users.length !== model.numUsers * dim) problems.push(`users has ${f.users.length} values, expected numUsers x dim = ${model.numUsers} x ${dim}`);
  if (f.items.length !== model.numItems * dim) problems.push(`items has ${f.items.length} values, expected numItems x dim = ${model.numItems} x ${dim}`);
  if (f.itemBias && f.itemBias.length !== model.numItems) problems.push(`itemBias has ${f.itemBias.length} values, expected numItems = ${model.numItems}`);
  if (problems.length) throw new Error(`${model.name}.factors(): ${problems.join("; ")}; fix the model's factors() or evaluate with scoring "scoreAll"`);
  return f;
}

function describe(x: unknown): string {
  if (x && typeof x === "object" && "length" in x) return `${(x as object).constructor.name} of length ${(x as { length: number }).length}`;
  return String(x);
}
