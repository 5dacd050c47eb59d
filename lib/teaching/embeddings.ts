/**
 * Notebook 01's toy world (two tastes) and the measurements its exercises and worked solutions share: training
 * 2-D (or 1-D) embeddings whose dot product predicts who likes what, and counting which embedding rows one
 * optimiser step moves when the batch holds only some users.
 */
import * as tf from "@tensorflow/tfjs";
import { checkExercise } from "../exercises";
import { embeddingLookup } from "../nn/embedding";
import type { History } from "../train/trainer";
import { Rng } from "../random";

/** Every (user, item) pair with a label: users in the first half like the items in the first half, and so on. */
export interface ToyWorld {
  numUsers: number;
  numItems: number;
  users: Int32Array;
  items: Int32Array;
  /** 1 = liked, 0 = not liked. */
  labels: Float32Array;
}

/** The two-taste world: users 0..numUsers/2-1 like items 0..numItems/2-1 and dislike the rest; the others the other way round. */
export function twoTasteWorld(numUsers = 8, numItems = 8): ToyWorld {
  if (!(numUsers >= 2 && numItems >= 2 && Number.isInteger(numUsers) && Number.isInteger(numItems))) {
    throw new Error(`twoTasteWorld: numUsers and numItems must be integers >= 2, got ${numUsers} x ${numItems}`);
  }
  const n = numUsers * numItems;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const labels = new Float32Array(n);
  for (let u = 0, row = 0; u < numUsers; u++) {
    for (let i = 0; i < numItems; i++, row++) {
      users[row] = u;
      items[row] = i;
      labels[row] = u < numUsers / 2 === i < numItems / 2 ? 1 : 0;
    }
  }
  return { numUsers, numItems, users, items, labels };
}

export interface ToyOptions {
  /** Embedding size. Default 2. */
  dim?: number;
  /** Full-batch Adam steps. Default 300. */
  epochs?: number;
  learningRate?: number;
  seed?: number;
}

export interface ToyEmbeddings {
  /** numUsers x dim and numItems x dim, row-major. */
  userVectors: Float32Array;
  itemVectors: Float32Array;
  /** Loss after each step. */
  losses: number[];
  /** Share of pairs whose dot product is on the right side of 0 (probability on the right side of 0.5). */
  accuracy: number;
}

/** Seeded N(0, 0.1^2) tables, as the notebook draws them. */
function toyTables(world: ToyWorld, dim: number, seed: number): [tf.Variable, tf.Variable] {
  const rng = new Rng(seed);
  const table = (rows: number) => tf.tidy(() => tf.variable(tf.tensor2d(Float32Array.from({ length: rows * dim }, () => 0.1 * rng.normal()), [rows, dim])));
  return [table(world.numUsers), table(world.numItems)];
}

/** The logits of `rows` pairs of the world (the first rows pairs: pairs are ordered by user). */
function pairLoss(world: ToyWorld, userTable: tf.Variable, itemTable: tf.Variable, rows = world.labels.length): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      const u = embeddingLookup(userTable, tf.tensor1d(world.users.subarray(0, rows), "int32"));
      const v = embeddingLookup(itemTable, tf.tensor1d(world.items.subarray(0, rows), "int32"));
      return tf.losses.sigmoidCrossEntropy(tf.tensor1d(world.labels.subarray(0, rows)), tf.sum(tf.mul(u, v), 1)) as tf.Scalar;
    });
}

/** Notebook 01's training loop (dot product, sigmoid cross-entropy, full-batch Adam), packaged for exercises. */
export function trainToyEmbeddings(world: ToyWorld, options: ToyOptions = {}): ToyEmbeddings {
  const dim = options.dim ?? 2;
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`trainToyEmbeddings: dim must be an integer >= 1, got ${dim}`);
  const [userTable, itemTable] = toyTables(world, dim, options.seed ?? 42);
  const optimizer = tf.train.adam(options.learningRate ?? 0.05);
  const loss = pairLoss(world, userTable, itemTable);
  const losses: number[] = [];
  try {
    for (let e = 0; e < (options.epochs ?? 300); e++) {
      const value = optimizer.minimize(loss, true, [userTable, itemTable]) as tf.Scalar;
      losses.push(value.dataSync()[0]!);
      value.dispose();
    }
    const userVectors = userTable.dataSync() as Float32Array;
    const itemVectors = itemTable.dataSync() as Float32Array;
    let correct = 0;
    for (let r = 0; r < world.labels.length; r++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += userVectors[world.users[r]! * dim + d]! * itemVectors[world.items[r]! * dim + d]!;
      if ((dot > 0 ? 1 : 0) === world.labels[r]) correct++;
    }
    return { userVectors: userVectors.slice(), itemVectors: itemVectors.slice(), losses, accuracy: correct / world.labels.length };
  } finally {
    optimizer.dispose();
    tf.dispose([userTable, itemTable]);
  }
}

/**
 * How many user rows one optimiser step moves when the batch holds only the first `batchUsers` users' pairs,
 * after `warmupSteps` full-batch steps (so that stateful optimisers have state for every row). A lookup's gradient
 * is zero outside the batch's rows; whether those rows move anyway depends on the optimiser: plain SGD and Adagrad
 * leave them, Adam's momentum keeps moving them.
 */
export function rowsMovedByOneBatch(world: ToyWorld, optimizer: tf.Optimizer, options: { dim?: number; seed?: number; warmupSteps?: number; batchUsers?: number } = {}): number {
  const batchUsers = options.batchUsers ?? 2;
  const [userTable, itemTable] = toyTables(world, options.dim ?? 2, options.seed ?? 42);
  try {
    const full = pairLoss(world, userTable, itemTable);
    for (let s = 0; s < (options.warmupSteps ?? 5); s++) optimizer.minimize(full, false, [userTable, itemTable]);
    const before = userTable.dataSync().slice();
    optimizer.minimize(pairLoss(world, userTable, itemTable, batchUsers * world.numItems), false, [userTable, itemTable]);
    const after = userTable.dataSync();
    const dim = before.length / world.numUsers;
    let moved = 0;
    for (let u = 0; u < world.numUsers; u++) {
      for (let d = 0; d < dim; d++) {
        if (before[u * dim + d] !== after[u * dim + d]) {
          moved++;
          break;
        }
      }
    }
    return moved;
  } finally {
    optimizer.dispose();
    tf.dispose([userTable, itemTable]);
  }
}

// The checks of notebook 01's exercises (the notebook and its worked solutions call the same ones).

/** Exercise 1: can one number per id separate the two tastes? `run` is the learner's trainToyEmbeddings result. */
export function checkOneDimension(run: ToyEmbeddings, pairs: number, answer: { dim: number; separates: boolean | undefined }): void {
  const { dim, separates } = answer;
  checkExercise(
    "01-one-dimension",
    [
      [dim === 1, `train with myDim = 1 (it is ${dim})`],
      [separates !== undefined, "set mySeparates to true or false"],
      [separates === undefined || separates === (run.accuracy === 1), `mySeparates = ${separates}, but the run classified ${Math.round(run.accuracy * pairs)} of ${pairs} pairs correctly`],
    ],
    { hint: "with one dimension the dot product is a product of two numbers: its sign is the product of their signs" },
  );
}

/** Exercise 2: the first epoch whose validation NDCG@10 beats MostPopular's (0 if none). */
export function checkBeatsPopular(history: History, popularNdcg: number, answer: { epoch: number; k?: number }): void {
  const key = `ndcg@${answer.k ?? 10}`;
  const first = history.epochs.find((e) => (e.validation?.[key] ?? -Infinity) > popularNdcg)?.epoch ?? 0;
  checkExercise(
    "01-beats-popular",
    [
      [answer.epoch >= 0, "set myEpoch to an epoch number (0 if MF never beats MostPopular)"],
      [answer.epoch < 0 || answer.epoch === first, `epoch ${answer.epoch} is not the first epoch whose validation NDCG@10 is above ${popularNdcg.toFixed(4)}`],
    ],
    { hint: `read history.epochs[i].validation["${key}"] for each epoch` },
  );
}

/** Exercise 3: how many user rows one batch of 2 users moves under Adagrad, and whether only the batch's. */
export function checkAdagradRows(world: ToyWorld, learningRate: number, answer: { moved: number; onlyBatchRows: boolean | undefined }): void {
  const measured = rowsMovedByOneBatch(world, tf.train.adagrad(learningRate));
  checkExercise(
    "01-adagrad-rows",
    [
      [answer.moved === measured, `movedAdagrad is ${answer.moved}; measure it with rowsMovedByOneBatch(world, tf.train.adagrad(...))`],
      [answer.onlyBatchRows === (measured === 2), "adagradOnlyBatchRows does not match the measurement (the batch holds 2 users)"],
    ],
    { hint: "a zero gradient gives a zero Adagrad step; Adam's step uses the running average of past gradients" },
  );
}
