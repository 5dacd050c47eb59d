/**
 * The training contract: what `fit`, the validators and `trainAndEvaluate` need of a model, and nothing more.
 *
 * A model is trainable when it can take a loss and an optimiser (`compile`), take one optimisation step on a batch
 * (`trainStep`, reading nothing back), report its mean loss since the last read (`takeLoss`), hand out and take
 * back its weights (`getWeights` / `setWeights`, for best-epoch restore) and free itself (`dispose`). Together with
 * `Recommender` (score / scoreAll) that is all the kit's trainer and evaluators use.
 *
 * Two ways to get one:
 * - extend `HandWrittenModel` (./hand-written.ts) with a forward pass that also returns its backward pass: the
 *   fast path of MF, GMF, MLP and NeuMF;
 * - build an `AutodiffModel` (./autodiff.ts) from a forward pass written with tf ops over weights the kit owns,
 *   or wrap a tf.layers model with `fromLayersModel` (./layers-model.ts): TensorFlow.js computes the gradients.
 * Or implement the interface yourself.
 */
import type { Loss, LossName } from "../nn/losses";
import type { Optimizer } from "../nn/optimizers";
import type { WeightMap } from "../nn/params";
import type { CompileOptions, LossReading } from "../nn/step";
import type { TrainBatch } from "./batch";
import type { Recommender } from "./recommender";

export interface Trainable {
  readonly name: string;
  /** Choose the loss and the optimiser for trainStep (fit calls it). */
  compile(options: CompileOptions): void;
  /** The compiled loss (null before compile). */
  readonly loss: Loss | null;
  /** The compiled optimiser (null before compile); fit keeps it across calls so a second fit continues. */
  readonly optimizer: Optimizer | null;
  /** One optimisation step on a batch; the batch's loss is added to a running sum, nothing is read back. */
  trainStep(batch: TrainBatch): void;
  /** Mean training loss per example since the last call (one read-back), and how many examples it covers. */
  takeLoss(): LossReading;
  /** Like takeLoss without resetting, for live progress lines. Optional. */
  peekLoss?(): LossReading;
  /** Mean loss over batches without training or dropout (lossValidation needs it). Optional. */
  evaluateLoss?(batches: Iterable<TrainBatch>, loss?: LossName): LossReading;
  /** Host copies of every weight, by name. */
  getWeights(): WeightMap;
  /** Put back weights from getWeights (same names and shapes). */
  setWeights(weights: WeightMap): void;
  /** Free the weights, optimiser state and accumulators. */
  dispose(): void;
  /** Epochs trained so far: fit numbers its epochs (and derives their sampling streams) from here and adds to it. */
  epochsTrained: number;
  /** Default seed of fit's per-epoch sampling (the model's own seed). */
  readonly seed?: number;
}

/** What fit and the validators take: a trainable model that can also be evaluated. */
export type TrainableRecommender = Trainable & Recommender;
