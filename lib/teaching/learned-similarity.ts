/**
 * The learned-similarity experiment of Rendle, Krichene, Zhang and Anderson 2020 ("Neural Collaborative Filtering
 * vs. Matrix Factorization Revisited", section 4), small enough for a notebook: can an MLP learn a dot product?
 *
 * Fixed random vectors p, q in R^dim (components ~ N(0, 1/sqrt(dim)), so p.q has variance about 1) and labels
 * y = p.q + noise * e, e ~ N(0, 1). An MLP reads the concatenation [p; q] and regresses y with squared error. Its
 * root-mean-square error on held-out pairs is compared with the dot product's own, which is the noise floor (about
 * `noise`): the dot product needs no data at all, the MLP has to learn it from examples.
 *
 *   const result = learnedSimilarity({ sizes: [1000, 4000, 16000], widths: [64], seed: 0 });
 *   result.points  // [{ size, width, rmse }, ...]; result.dotRmse ~ noise
 *
 * Every training run takes the same number of Adam steps (`steps` minibatches), so larger training sets are not
 * favoured by more compute, only by more data. All randomness comes from the seed.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";

export interface LearnedSimilarityOptions {
  /** Training-set sizes (pairs) to measure. Required, each >= 1. */
  sizes: number[];
  /** Hidden units of each of the MLP's hidden layers, one run per width. Default [64]. */
  widths?: number[];
  /** Hidden layers (ReLU). Default 2. */
  layers?: number;
  /** Dimension of p and q. Default 8. */
  dim?: number;
  /** Standard deviation of the label noise (the dot product's error floor). Default 0.1. */
  noise?: number;
  /** Adam steps of every run. Default 2000. */
  steps?: number;
  /** Minibatch size. Default 128. */
  batchSize?: number;
  /** Adam learning rate. Default 0.003. */
  learningRate?: number;
  /** Held-out pairs the RMSE is measured on. Default 2000. */
  testPairs?: number;
  /** Seed of the data, the initial weights and the minibatches. Default 0. */
  seed?: number;
}

export interface LearnedSimilarityPoint {
  size: number;
  width: number;
  /** The MLP's RMSE on the held-out pairs (against the noisy labels). */
  rmse: number;
  /** Its RMSE on the training pairs (how well it fits what it saw). */
  trainRmse: number;
}

export interface LearnedSimilarityResult {
  points: LearnedSimilarityPoint[];
  /** RMSE of the exact dot product on the same held-out pairs: the noise floor. */
  dotRmse: number;
  /** RMSE of predicting 0 (the labels' scale): an MLP that learned nothing scores about this. */
  zeroRmse: number;
  seconds: number;
}

const DEFAULTS = { widths: [64], layers: 2, dim: 8, noise: 0.1, steps: 2000, batchSize: 128, learningRate: 0.003, testPairs: 2000, seed: 0 };

/** Pairs [p; q] (rows of 2 * dim) with their exact dot products and noisy labels. */
export function dotProductPairs(n: number, dim: number, noise: number, rng: Rng): { x: Float32Array; dot: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 2 * dim);
  const dot = new Float32Array(n);
  const y = new Float32Array(n);
  const scale = 1 / Math.sqrt(Math.sqrt(dim));
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < 2 * dim; j++) x[r * 2 * dim + j] = scale * rng.normal();
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[r * 2 * dim + j]! * x[r * 2 * dim + dim + j]!;
    dot[r] = s;
    y[r] = s + noise * rng.normal();
  }
  return { x, dot, y };
}

function rmse(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

/** Train an MLP on `size` pairs for each width and size; see the module comment. */
export function learnedSimilarity(options: LearnedSimilarityOptions): LearnedSimilarityResult {
  const started = performance.now();
  const o = { ...DEFAULTS, ...options };
  if (!o.sizes.length || o.sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`learnedSimilarity: sizes must be positive integers, got ${JSON.stringify(o.sizes)}`);
  if (!o.widths.length || o.widths.some((w) => !Number.isInteger(w) || w < 1)) throw new Error(`learnedSimilarity: widths must be positive integers, got ${JSON.stringify(o.widths)}`);
  if (!(o.noise >= 0)) throw new Error(`learnedSimilarity: noise must be >= 0, got ${o.noise}`);
  const rng = new Rng(o.seed);
  const maxSize = Math.max(...o.sizes);
  // One pool of training pairs: each size takes a prefix, so larger sets contain the smaller ones.
  const pool = dotProductPairs(maxSize, o.dim, o.noise, rng.derive("train"));
  const test = dotProductPairs(o.testPairs, o.dim, o.noise, rng.derive("test"));
  const dotRmse = rmse(test.dot, test.y);
  const zeroRmse = rmse(new Float32Array(test.y.length), test.y);
  const inputs = 2 * o.dim;
  const points: LearnedSimilarityPoint[] = [];
  const testX = tf.tensor2d(test.x, [o.testPairs, inputs]);
  try {
    for (const width of o.widths) {
      for (const size of o.sizes) {
        const runRng = rng.derive(`run ${width} ${size}`);
        const weights: tf.Variable[] = [];
        const sizesIn = [inputs, ...Array.from({ length: o.layers }, () => width)];
        const toVariable = (t: tf.Tensor) => {
          const v = tf.variable(t);
          t.dispose();
          return v;
        };
        const kernel = (fanIn: number, fanOut: number) =>
          toVariable(tf.tensor2d(Float32Array.from({ length: fanIn * fanOut }, () => Math.sqrt(2 / fanIn) * runRng.normal()), [fanIn, fanOut]));
        for (let l = 0; l < o.layers; l++) weights.push(kernel(sizesIn[l]!, width), toVariable(tf.zeros([width])));
        weights.push(kernel(width, 1), toVariable(tf.zeros([1])));
        const forward = (x: tf.Tensor2D): tf.Tensor1D => {
          let h: tf.Tensor2D = x;
          for (let l = 0; l < o.layers; l++) h = tf.relu(h.matMul(weights[2 * l] as tf.Variable<tf.Rank.R2>).add(weights[2 * l + 1]!)) as tf.Tensor2D;
          return h.matMul(weights[2 * o.layers] as tf.Variable<tf.Rank.R2>).add(weights[2 * o.layers + 1]!).reshape([-1]);
        };
        const trainX = tf.tensor2d(pool.x.subarray(0, size * inputs), [size, inputs]);
        const trainY = tf.tensor1d(pool.y.subarray(0, size));
        const optimizer = tf.train.adam(o.learningRate);
        const batch = Math.min(o.batchSize, size);
        try {
          for (let step = 0; step < o.steps; step++) {
            const rows = new Int32Array(batch);
            for (let b = 0; b < batch; b++) rows[b] = runRng.int(size);
            tf.tidy(() => {
              const idx = tf.tensor1d(rows, "int32");
              const xb = tf.gather(trainX, idx) as tf.Tensor2D;
              const yb = tf.gather(trainY, idx);
              optimizer.minimize(() => tf.losses.meanSquaredError(yb, forward(xb)) as tf.Scalar, false, weights);
            });
          }
          const read = (x: tf.Tensor2D) => {
            const t = tf.tidy(() => forward(x));
            const values = t.dataSync() as Float32Array;
            t.dispose();
            return values;
          };
          const predictTest = read(testX);
          const predictTrain = read(trainX);
          points.push({ size, width, rmse: rmse(predictTest, test.y), trainRmse: rmse(predictTrain, pool.y.subarray(0, size)) });
        } finally {
          optimizer.dispose();
          tf.dispose([trainX, trainY, ...weights]);
        }
      }
    }
  } finally {
    testX.dispose();
  }
  return { points, dotRmse, zeroRmse, seconds: (performance.now() - started) / 1000 };
}
