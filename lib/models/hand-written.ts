/**
 * The fast path: a model whose forward pass also returns its backward pass, so a training step records no
 * autodiff tape (MF, GMF, MLP and NeuMF are built this way; each gradient is checked against finite differences in
 * test/models/gradients.test.ts). Why by hand: on the wasm backend a step's time goes to the number of kernels
 * and a few slow kernel shapes, not to arithmetic (see ncf.ts and DESIGN.md).
 *
 * A subclass declares its weights (ParamSpecs, passed to the constructor) and writes `forward(batch, training)`,
 * returning the logits and, when training, a `backward(dLogits)` closure giving the gradient of every weight.
 *
 *   model.compile({ loss: "bce", optimizer: { name: "adam", learningRate: 1e-3 } });
 *   for (const batch of batches) model.trainStep(batch);   // nothing is read back per step
 *   const { loss } = model.takeLoss();                      // one read-back: mean loss since the last call
 */
import * as tf from "@tensorflow/tfjs";
import type { LossName } from "../nn/losses";
import type { GradMap, WeightMap } from "../nn/params";
import { handWrittenGradients, readGradients } from "../nn/step";
import { scoringBatch, uploadBatch, type PairBatch, type TrainBatch } from "./batch";
import { Model } from "./model";
import type { ResolvedCommon } from "./options";

/** The result of a forward pass: logits [rows, 1] and, when training, the backward pass. */
export interface ForwardResult {
  logits: tf.Tensor2D;
  /** Gradients of sum(dLogits * logits) with respect to every weight (single or joint entries, see GradMap). */
  backward?: (dLogits: tf.Tensor2D) => GradMap;
}

export abstract class HandWrittenModel<C extends ResolvedCommon = ResolvedCommon> extends Model<C> {
  /** Logits for the pairs of `batch` (see batch.ts); with `training`, dropout and the backward pass. */
  protected abstract forward(batch: PairBatch, training: boolean): ForwardResult;

  trainStep(batch: TrainBatch): void {
    this.checkAlive();
    const where = `${this.name}.trainStep`;
    this.step.handWritten(
      this.params,
      (name) => this.weightDecay(name),
      (loss) => {
        const b = uploadBatch(batch, this.numUsers, this.numItems, loss.pairwise, where);
        const { logits, backward } = this.forward(b, true);
        return { logits, backward: backward!, targets: b.targets };
      },
      where,
    );
  }

  lossAndGradients(batch: TrainBatch, lossName?: LossName): { loss: number; grads: WeightMap } {
    this.checkAlive();
    const loss = this.lossFor(lossName);
    const where = `${this.name}.lossAndGradients`;
    return readGradients(
      this.params,
      () => {
        const b = uploadBatch(batch, this.numUsers, this.numItems, loss.pairwise, where);
        const { logits, backward } = this.forward(b, true);
        return handWrittenGradients(loss, { logits, backward: backward!, targets: b.targets });
      },
      batch.users.length,
    );
  }

  protected logitsFor(users: Int32Array, items: Int32Array): tf.Tensor {
    return this.forward(scoringBatch(users, items, this.numUsers), false).logits;
  }
}
