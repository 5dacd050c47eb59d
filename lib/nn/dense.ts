/**
 * Dense layers for forward passes written with tf ops (the autodiff path), with their own gradient so that
 * TensorFlow.js's autodiff takes the fast routes on wasm: d x = dZ W^T as a transpose plus a plain matMul (matMul's
 * built-in gradient uses transposeA/B, about 6x slower there), d W = X^T dZ as the kit's SIMD weight-gradient
 * kernel, d b = column sums of dZ, and the relu mask as the SIMD relu kernel. Elsewhere the same maths runs as tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { reluGrad } from "./kernels/rows";
import { weightGradient } from "./kernels/weight-grad";
import type { Initializer, ParamGroup } from "./params";

/** A weight to declare: shape, group (for L2: embedding tables vs dense layers) and initialiser. */
export interface WeightSpec {
  shape: readonly number[];
  /** Default "dense". */
  group?: ParamGroup;
  /** Default: normal with standard deviation 0.01. */
  init?: Initializer;
}

/** A table of `rows` vectors of size `dim` (group "embedding"), initialised N(0, std^2). */
export function embeddingWeight(rows: number, dim: number, std = 0.01): WeightSpec {
  return { shape: [rows, dim], group: "embedding", init: { kind: "normal", std } };
}

/**
 * A dense layer's kernel [inputs, units] and bias [units] with PyTorch nn.Linear's initialisation,
 * U(-1/sqrt(inputs), 1/sqrt(inputs)).
 */
export function denseWeights(inputs: number, units: number): { kernel: WeightSpec; bias: WeightSpec } {
  const init: Initializer = { kind: "uniform", limit: 1 / Math.sqrt(inputs) };
  return { kernel: { shape: [inputs, units], group: "dense", init }, bias: { shape: [units], group: "dense", init } };
}

function makeDense(relu: boolean): (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor) => tf.Tensor {
  return tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const out = tf.fused.matMul({ a: x, b: kernel, bias, activation: relu ? "relu" : "linear" }) as tf.Tensor2D;
    save([x, kernel, out]);
    return {
      value: out,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sout] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        // relu'(a) = step(out): out = relu(a) is > 0 exactly where a > 0.
        const dA = (relu ? reluGrad(dy, sout) ?? tf.mul(dy, tf.step(sout)) : dy) as tf.Tensor2D;
        const dX = tf.matMul(dA, tf.transpose(sk) as tf.Tensor2D);
        const dW = weightGradient(sx, dA, false) ?? tf.matMul(tf.transpose(sx) as tf.Tensor2D, dA);
        return [dX, dW, tf.sum(dA, 0)];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor) => tf.Tensor;
}

const denseRelu = makeDense(true);
const denseLinear = makeDense(false);

/** relu(x W + b) (or linear): x [n, inputs], kernel [inputs, units], bias [units]. Differentiable on every backend. */
export function dense(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, activation: "relu" | "linear" = "relu"): tf.Tensor2D {
  if (x.rank !== 2 || kernel.rank !== 2 || x.shape[1] !== kernel.shape[0]) {
    throw new Error(`dense: x [${x.shape.join(", ")}] and kernel [${kernel.shape.join(", ")}] do not chain (x [n, k] times kernel [k, units])`);
  }
  if (bias.rank !== 1 || bias.shape[0] !== kernel.shape[1]) throw new Error(`dense: bias must be [${kernel.shape[1]}], got [${bias.shape.join(", ")}]`);
  return (activation === "relu" ? denseRelu : denseLinear)(x, kernel, bias) as tf.Tensor2D;
}
