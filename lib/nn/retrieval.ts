/**
 * The retrieval loss of two-tower models, a pure function of the two towers' outputs (as TensorFlow
 * Recommenders' `tasks.Retrieval`), and the item-frequency estimate its sampling-bias correction needs.
 *
 * In-batch sampled softmax: a batch holds B positive (query, candidate) pairs; every other candidate of the batch
 * is a negative of each query. Because popular candidates are sampled as negatives more often, the logits are
 * corrected by the log of each candidate's sampling probability (Yi et al., "Sampling-Bias-Corrected Neural
 * Modeling for Large Corpus Item Recommendations", RecSys 2019, eq. 3): s_bj = <q_b, c_j> / T - log p_j. A
 * candidate that appears twice in the batch would be a negative of its own query ("accidental hit"), so the other
 * copies of b's own candidate are removed from row b. Then loss_b = -log softmax(s_b)[b].
 */
import * as tf from "@tensorflow/tfjs";
import { weightGradient } from "./kernels/weight-grad";

export interface InBatchSoftmaxOptions {
  /** [B] int32: each candidate's id, to find accidental hits (the same id twice in the batch). */
  candidateIds: tf.Tensor;
  /** [B]: log p_j, the log sampling probability of each candidate (omit: no correction). */
  logQ?: tf.Tensor;
  /** Logits are dot products divided by this. Default 1. */
  temperature?: number;
}

/** A large negative number: a removed logit contributes exp(-1e9) = 0 to the softmax, and no NaN. */
const REMOVED = -1e9;

/**
 * Per-example in-batch softmax losses [B] (see the module comment) for queries [B, d] and candidates [B, d].
 * Differentiable with tf ops; created in the caller's tidy scope.
 */
export function inBatchSoftmax(queries: tf.Tensor, candidates: tf.Tensor, options: InBatchSoftmaxOptions): tf.Tensor1D {
  const [b, d] = queries.shape as [number, number];
  if (queries.rank !== 2 || candidates.rank !== 2 || candidates.shape[0] !== b || candidates.shape[1] !== d) {
    throw new Error(`inBatchSoftmax: queries [${queries.shape.join(", ")}] and candidates [${candidates.shape.join(", ")}] must both be [B, d]`);
  }
  if (options.candidateIds.size !== b) throw new Error(`inBatchSoftmax: candidateIds has ${options.candidateIds.size} ids for ${b} candidates`);
  const temperature = options.temperature ?? 1;
  if (!(temperature > 0)) throw new Error(`inBatchSoftmax: temperature must be > 0, got ${temperature}`);
  let logits = tf.matMul(queries as tf.Tensor2D, tf.transpose(candidates) as tf.Tensor2D);
  if (temperature !== 1) logits = tf.mul(logits, 1 / temperature);
  if (options.logQ) logits = tf.sub(logits, tf.reshape(options.logQ, [1, b]));
  // Accidental hits: same id as row b's candidate, off the diagonal.
  const ids = tf.reshape(options.candidateIds, [b]);
  const eye = tf.eye(b);
  const same = tf.cast(tf.equal(tf.reshape(ids, [b, 1]), tf.reshape(ids, [1, b])), "float32");
  logits = tf.add(logits, tf.mul(tf.sub(same, eye), REMOVED));
  const logProbs = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(logProbs, eye), 1)) as tf.Tensor1D;
}

/** Host-side inputs of the fast in-batch softmax. */
export interface InBatchSoftmaxHost {
  /** Each candidate's id (accidental hits are found on the host). */
  candidateIds: Int32Array;
  /** log p_j of each candidate, or null for no correction. */
  logQ: Float32Array | null;
  /** Default 1. */
  temperature?: number;
}

/**
 * The SUM over the batch of the in-batch softmax losses (the same function as `inBatchSoftmax`, summed), with its
 * own gradient: d s_bj = p_bj - [j = b] (hits have p = 0), d Q = dS C / T, d C = dS^T Q / T, as plain matMuls with
 * explicit transposes (matMul's built-in gradient takes slow transposed paths on wasm), and one exp of the [B, B]
 * logits. Accidental hits are found on the host and masked only when there are any.
 */
export function inBatchSoftmaxSum(queries: tf.Tensor2D, candidates: tf.Tensor2D, host: InBatchSoftmaxHost): tf.Scalar {
  const b = queries.shape[0];
  const temperature = host.temperature ?? 1;
  if (candidates.shape[0] !== b || host.candidateIds.length !== b || (host.logQ && host.logQ.length !== b)) {
    throw new Error(`inBatchSoftmaxSum: ${b} queries, ${candidates.shape[0]} candidates, ${host.candidateIds.length} ids${host.logQ ? `, ${host.logQ.length} logQ` : ""}: they must match`);
  }
  const mask = hitMask(host.candidateIds);
  const logQ = host.logQ ? tf.tensor2d(host.logQ, [1, b]) : null;
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, c, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    let s = tf.mul(tf.matMul(q, tf.transpose(c) as tf.Tensor2D), 1 / temperature) as tf.Tensor2D;
    if (logQ) s = tf.sub(s, logQ);
    if (mask) s = tf.add(s, mask);
    const max = tf.max(s, 1, true);
    const e = tf.exp(tf.sub(s, max));
    const z = tf.sum(e, 1, true);
    const p = tf.div(e, z) as tf.Tensor2D;
    // s_bb = <q_b, c_b> / T - log p_b (the diagonal is never masked).
    let diag = tf.mul(tf.sum(tf.mul(q, c), 1, true), 1 / temperature);
    if (logQ) diag = tf.sub(diag, tf.reshape(logQ, [b, 1]));
    save([q, c, p]);
    return {
      value: tf.sum(tf.sub(tf.add(tf.log(z), max), diag)) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sq, sc, sp] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const ds = tf.mul(tf.sub(sp, tf.eye(b)), tf.mul(dy, 1 / temperature)) as tf.Tensor2D;
        // dS^T Q without transposing the [B, B] matrix (slow on wasm at power-of-two B): the SIMD A^T dZ kernel.
        const dc = weightGradient(ds, sq, false) ?? tf.matMul(tf.transpose(ds) as tf.Tensor2D, sq);
        return [tf.matMul(ds, sc), dc];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]) as (q: tf.Tensor, c: tf.Tensor) => tf.Tensor;
  return f(queries, candidates) as tf.Scalar;
}

/** [B, B] with REMOVED where j != b holds b's own candidate id, or null when the batch has no repeated id. */
function hitMask(ids: Int32Array): tf.Tensor2D | null {
  const b = ids.length;
  const first = new Map<number, number[]>();
  let repeated = false;
  for (let k = 0; k < b; k++) {
    const list = first.get(ids[k]!);
    if (list) {
      list.push(k);
      repeated = true;
    } else first.set(ids[k]!, [k]);
  }
  if (!repeated) return null;
  const m = new Float32Array(b * b);
  for (const rows of first.values()) {
    if (rows.length < 2) continue;
    for (const r of rows) for (const c of rows) if (r !== c) m[r * b + c] = REMOVED;
  }
  return tf.tensor2d(m, [b, b]);
}

/**
 * Yi et al.'s streaming estimate of how often each id is sampled (RecSys 2019, Algorithm 2, with one exact slot
 * per id instead of hashed arrays): at step t, for every id in the batch, B_id <- (1 - alpha) B_id + alpha (t - A_id)
 * and A_id <- t. 1 / B_id estimates the id's probability of appearing in a step, so log p = -log B (a constant
 * factor between this and per-example probabilities cancels in the softmax).
 */
export class StreamingFrequency {
  private readonly last: Float64Array;
  private readonly gap: Float64Array;
  private step = 0;

  constructor(
    readonly numIds: number,
    readonly alpha = 0.01,
  ) {
    if (!(alpha > 0 && alpha <= 1)) throw new Error(`StreamingFrequency: alpha must be in (0, 1], got ${alpha}`);
    this.last = new Float64Array(numIds);
    // Before any sighting, an id is assumed rare: one sighting per numIds steps.
    this.gap = new Float64Array(numIds).fill(numIds);
  }

  /** Record one step's ids (duplicates within the step count once) and return log p of each, in order. */
  update(ids: Int32Array): Float32Array {
    this.step++;
    const t = this.step;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      if (this.last[i] === t) continue;
      if (this.last[i]! > 0) this.gap[i] = (1 - this.alpha) * this.gap[i]! + this.alpha * (t - this.last[i]!);
      this.last[i] = t;
    }
    return Float32Array.from(ids, (i) => -Math.log(this.gap[i]!));
  }

  /** The current estimate of log p for every id. */
  logProbabilities(): Float32Array {
    return Float32Array.from(this.gap, (g) => -Math.log(g));
  }
}
