/**
 * Losses as pure functions of the model's output, each with its own gradient so that a training step never runs
 * TensorFlow.js autodiff (fewer kernels per step; see lib/models/ncf.ts for why that matters on wasm).
 *
 * Every loss maps a column of logits z ([n, 1]) and targets y ([n, 1]) to per-example values and to the
 * derivative of each value with respect to its own logit. The training step weights both by the example mask
 * (1 for real rows, 0 for the padding rows that keep batch shapes fast on wasm) and by 1 / (real rows), so the
 * optimiser sees the gradient of the batch mean, as in PyTorch's default `reduction="mean"`.
 *
 * Choose one by name from LOSSES: "bce" (implicit feedback, pointwise), "bpr" (implicit feedback, pairwise),
 * "mse" (explicit ratings).
 */
import * as tf from "@tensorflow/tfjs";

export type LossName = "bce" | "bpr" | "mse" | "softmax";

export interface Loss {
  readonly name: LossName;
  /** One line: what it computes. */
  readonly description: string;
  /** Where it comes from. */
  readonly reference: string;
  /**
   * Pairwise losses score (user, positive) and (user, negative) and train on z = s_pos - s_neg; the batch must
   * carry `negItems`. Pointwise losses train on z = s(user, item) against `labels`.
   */
  readonly pairwise: boolean;
  /**
   * In-batch losses ("softmax") score every query of a batch against every candidate of the batch; the model
   * computes them from its two towers (see retrieval.ts), so `value` and `gradient` do not apply.
   */
  readonly inBatch?: boolean;
  /** Per-example loss l(z, y), elementwise. */
  value(z: tf.Tensor, y: tf.Tensor): tf.Tensor;
  /** dl/dz, elementwise. */
  gradient(z: tf.Tensor, y: tf.Tensor): tf.Tensor;
}

/**
 * Binary cross-entropy on logits: l = softplus(z) - y z = -[y log s(z) + (1 - y) log(1 - s(z))],
 * dl/dz = s(z) - y. The pointwise log loss of NCF (He et al., "Neural Collaborative Filtering", WWW 2017, eq. 7),
 * the same as PyTorch's BCEWithLogitsLoss. softplus is evaluated stably for large |z|.
 */
const bce: Loss = {
  name: "bce",
  description: "binary cross-entropy on logits (labels 1 = interacted, 0 = sampled negative)",
  reference: "He et al., Neural Collaborative Filtering, WWW 2017, eq. 7; PyTorch BCEWithLogitsLoss",
  pairwise: false,
  value: (z, y) => tf.sub(tf.softplus(z), tf.mul(y, z)),
  gradient: (z, y) => tf.sub(tf.sigmoid(z), y),
};

/**
 * Bayesian Personalized Ranking: with z = s(u, i) - s(u, j) for an observed i and a sampled j,
 * l = -log s(z) = softplus(-z), dl/dz = s(z) - 1. Rendle et al., "BPR: Bayesian Personalized Ranking from
 * Implicit Feedback", UAI 2009, eq. 4, without the paper's regulariser: weight decay is the optimiser's (coupled L2
 * or AdamW's decoupled decay, see optimizers.ts), applied to every row every step, so its lambda is not the
 * paper's per-triple lambda. Labels are ignored.
 */
const bpr: Loss = {
  name: "bpr",
  description: "pairwise BPR: -log sigmoid(score(user, positive) - score(user, negative))",
  reference: "Rendle et al., BPR: Bayesian Personalized Ranking from Implicit Feedback, UAI 2009, eq. 4",
  pairwise: true,
  value: (z) => tf.softplus(tf.neg(z)),
  gradient: (z) => tf.sub(tf.sigmoid(z), 1),
};

/**
 * Squared error for explicit ratings: l = (z - y)^2, dl/dz = 2 (z - y); the batch mean is the MSE that biased MF
 * minimises (Koren, Bell & Volinsky, "Matrix Factorization Techniques for Recommender Systems", IEEE Computer 2009,
 * eq. 5, without the paper's lambda term: weight decay is the optimiser's, dense and per step, so its lambda is
 * not the paper's per-rating lambda; see optimizers.ts).
 */
const mse: Loss = {
  name: "mse",
  description: "squared error against explicit ratings",
  reference: "Koren, Bell & Volinsky, Matrix Factorization Techniques for Recommender Systems, IEEE Computer 2009, eq. 5",
  pairwise: false,
  value: (z, y) => tf.squaredDifference(z, y),
  gradient: (z, y) => tf.mul(tf.sub(z, y), 2),
};

const inBatchOnly = (): never => {
  throw new Error("loss 'softmax' is computed by a two-tower model from its towers (lib/nn/retrieval.ts), not per logit");
};

/**
 * In-batch sampled softmax with the sampling-bias (logQ) correction and accidental hits removed: the retrieval
 * loss of two-tower models, computed by `inBatchSoftmax` (retrieval.ts) from both towers' outputs.
 */
const softmax: Loss = {
  name: "softmax",
  description: "in-batch sampled softmax: every other positive of the batch is a negative, logQ-corrected",
  reference: "Yi et al., Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations, RecSys 2019",
  pairwise: false,
  inBatch: true,
  value: inBatchOnly,
  gradient: inBatchOnly,
};

export const LOSSES: Readonly<Record<LossName, Loss>> = { bce, bpr, mse, softmax };

/** The loss with this name; an error listing the valid names otherwise. */
export function getLoss(name: string): Loss {
  const loss = (LOSSES as Record<string, Loss | undefined>)[name];
  if (!loss) throw new Error(`unknown loss '${name}'. Valid: ${Object.keys(LOSSES).join(", ")}`);
  return loss;
}

/**
 * Pairwise losses: logits [rows, 1] hold positives then negatives; z = s_pos - s_neg ([rows / 2, 1]) with one
 * matMul, and the backward map dz -> d logits = [dz; -dz].
 */
export function pairwiseDifference(logits: tf.Tensor2D, half: number): { z: tf.Tensor2D; expand: (dz: tf.Tensor2D) => tf.Tensor2D } {
  const plusMinusRow = tf.tensor2d([1, -1], [1, 2]);
  const z = tf.reshape(tf.matMul(plusMinusRow, tf.reshape(logits, [2, half])), [half, 1]) as tf.Tensor2D;
  const expand = (dz: tf.Tensor2D) =>
    tf.reshape(tf.matMul(tf.tensor2d([1, -1], [2, 1]), tf.reshape(dz, [1, half])), [2 * half, 1]) as tf.Tensor2D;
  return { z, expand };
}
