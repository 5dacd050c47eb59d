/**
 * The first layer of NCF's MLP tower computed once per distinct user and item of a batch instead of once per pair.
 *
 *   relu([p_u, q_i] W + b) = relu(p_u W_u + q_i W_i + b)        (W_u, W_i: the top and bottom halves of W)
 *
 * A batch of B pairs touches at most B distinct users and B distinct items, and at medium and large batches far
 * fewer (MovieLens-100K, batch 4096: ~930 of 943 users and ~1530 of 1682 items). So the layer is:
 *   forward   U = E_u W_u over the distinct users' rows E_u, I = E_i W_i over the items'; h = relu(U[u] + I[i] + b)
 *   backward  dU, dI = the pairs' dA summed per distinct user and item; [dW_u; dW_i; db] = [E_u^T dU; E_i^T dI;
 *             sum of dI's rows]; dE = dU W_u^T and dI W_i^T, scattered into the table's gradient.
 * Its products cost (users + items) / 2B of the per-pair layer's (the same sums in another order: equal up to float
 * rounding), for a few more kernels. The per-pair layer stays where the saving is small (`worthFactoring`), where
 * embedding dropout gives every pair its own input, and on backends without the kernels (wasm only).
 */
import * as tf from "@tensorflow/tfjs";
import { gatherTwo, pairKernelsReady, pairScatterAdd, pairSumRelu, scatterAddTwo } from "../nn/kernels/pair-rows";
import { splitHalves, smallMatrixKernelsReady } from "../nn/kernels/small-matrix";
import { splitWeightGradReady, splitWeightGradient } from "../nn/kernels/weight-grad";

/** "auto": factor when `worthFactoring` says so; "always"/"never" force it where the kernels run (tests, benchmarks). */
export type FactoredInputMode = "auto" | "always" | "never";
let mode: FactoredInputMode = "auto";

/** Set the policy for all models (returns the previous one). */
export function setFactoredInput(next: FactoredInputMode): FactoredInputMode {
  const old = mode;
  mode = next;
  return old;
}

/** The distinct rows of a batch's pairs and where each pair finds its two rows among them. */
export interface DistinctRows {
  /** Table rows of the distinct users, then of the distinct items (numUsers + item), each in first-seen order. */
  rows: Int32Array;
  /** How many of `rows` are users. */
  users: number;
  /** [pairs, 2]: each pair's user's index among the users, and its item's among the items. */
  local: Int32Array;
}

/**
 * Distinct rows of `pairs` ([n, 2] table rows: user, numUsers + item). `scratch` is an Int32Array over the
 * table's rows filled with -1; it is left that way.
 */
export function distinctRows(pairs: Int32Array, scratch: Int32Array): DistinctRows {
  const n = pairs.length / 2;
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  const local = new Int32Array(2 * n);
  let nu = 0;
  let ni = 0;
  for (let r = 0; r < n; r++) {
    const u = pairs[2 * r]!;
    let s = scratch[u]!;
    if (s < 0) (scratch[u] = s = nu), (users[nu++] = u);
    local[2 * r] = s;
    const i = pairs[2 * r + 1]!;
    let t = scratch[i]!;
    if (t < 0) (scratch[i] = t = ni), (items[ni++] = i);
    local[2 * r + 1] = t;
  }
  const rows = new Int32Array(nu + ni);
  rows.set(users.subarray(0, nu));
  rows.set(items.subarray(0, ni), nu);
  for (const row of rows) scratch[row] = -1;
  return { rows, users: nu, local };
}

/**
 * Factor when the products shrink to at most FACTOR_AT of the per-pair layer's: above it the extra kernels and the
 * host pass cost more than they save (bench/ab.ts --switch factored-input).
 */
export const FACTOR_AT = 0.75;

/** The factored layer's share of the per-pair layer's products: (distinct users + distinct items) / 2 pairs. */
export function factoredShare(plan: DistinctRows): number {
  return plan.rows.length / plan.local.length;
}

export function worthFactoring(plan: DistinctRows): boolean {
  return mode === "always" || (mode === "auto" && factoredShare(plan) <= FACTOR_AT);
}

/** Every kernel the factored layer runs is available (wasm, widths a multiple of 4). */
function kernelsReady(half: number, width: number): boolean {
  return pairKernelsReady(half, width) && smallMatrixKernelsReady() && splitWeightGradReady(half, width);
}

/** The layer's output h [pairs, width] and its backward from dA, the gradient at its pre-activation. */
export interface FactoredLayer {
  h: tf.Tensor2D;
  /** joint [2 half + 1, width] = [dW; db] (putJointGradient's layout) and the table's gradient [table rows, half]. */
  backward(dA: tf.Tensor2D): { joint: tf.Tensor2D; dTable: tf.Tensor2D };
}

/**
 * relu([table[u], table[i]] kernel + bias) for the host pairs (length 2 x pairs), factored; or null where the per-pair
 * layer should run (see the module comment). table [rows, half], kernel [2 half, width], bias [width].
 */
export function factoredFirstLayer(table: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor, pairs: Int32Array, scratch: Int32Array): FactoredLayer | null {
  const half = table.shape[1];
  const width = kernel.shape[1];
  if (mode === "never" || kernel.shape[0] !== 2 * half || !kernelsReady(half, width)) return null;
  const plan = distinctRows(pairs, scratch);
  if (!worthFactoring(plan)) return null;
  const nu = plan.users;
  const ni = plan.rows.length - nu;
  const ids = tf.tensor1d(plan.rows, "int32");
  const local = tf.tensor2d(plan.local, [plan.local.length / 2, 2], "int32");
  const [eu, ei] = gatherTwo(table, ids, nu)!; // [nu, half], [ni, half]
  const [wu, wi, wuT, wiT] = splitHalves(kernel)!;
  return {
    h: pairSumRelu(tf.matMul(eu, wu), tf.matMul(ei, wi), local, bias)!,
    backward: (dA) => {
      const [du, di] = pairScatterAdd(local, dA, nu, ni)!;
      const joint = splitWeightGradient(eu, du, ei, di)!;
      const dTable = scatterAddTwo(ids, tf.matMul(du, wuT), tf.matMul(di, wiT), table.shape[0])!;
      return { joint, dTable };
    },
  };
}
