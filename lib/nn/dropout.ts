/**
 * Inverted dropout with masks drawn from the kit's seeded Rng (never TensorFlow.js's own generator), so a seeded
 * run repeats exactly on every backend: kept values are scaled by 1 / (1 - rate), dropped ones are 0.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../random";

/** A rate-`rate` inverted-dropout mask: 0 with probability rate, else 1 / (1 - rate). */
export function dropoutMask(rng: Rng, n: number, rate: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < n; i++) out[i] = rng.next() < rate ? 0 : keep;
  return out;
}

/**
 * `x` times a fresh mask (rate 0: `x` itself). Differentiable: the gradient is the same mask times dy. For
 * forward passes written with tf ops (the autodiff path).
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, rng: Rng): T {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return x;
  return tf.mul(x, tf.tensor(dropoutMask(rng, x.size, rate), x.shape, "float32")) as T;
}

/** For a mask laid out [rows, 2, dim]: the same mask with the two halves of every row exchanged. */
export function swapHalves(mask: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(mask.length);
  for (let r = 0; r < rows; r++) {
    const o = r * 2 * dim;
    out.set(mask.subarray(o, o + dim), o + dim);
    out.set(mask.subarray(o + dim, o + 2 * dim), o);
  }
  return out;
}

/** The [rows, 2, dim] pair mask as the masks of the first and second vector, [rows, dim] each. */
export function splitPairMask(mask: Float32Array, rows: number, dim: number): [Float32Array, Float32Array] {
  const a = new Float32Array(rows * dim);
  const b = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    a.set(mask.subarray(2 * r * dim, (2 * r + 1) * dim), r * dim);
    b.set(mask.subarray((2 * r + 1) * dim, (2 * r + 2) * dim), r * dim);
  }
  return [a, b];
}
