/**
 * The two-tower model's hand-written training step on the wasm backend: the same maths as its autodiff path
 * (model.ts), with each tower's inputs assembled by one kernel, its dense layers and their gradients on the kit's
 * fused and SIMD kernels, and the in-batch softmax and its gradient in one pass over the [B, B] logits
 * (nn/kernels/tower.ts). test/models/two-tower.test.ts checks it against autodiff.
 *
 *   X = [id | codes | pooled bags]  ->  h_k = relu(h_{k-1} W_k + b_k)  ->  out = h W_L + b_L  ->  y = out / |out|
 *   S = Y_user Y_item^T;  dS = (softmax(S / T - log q, hits removed) - I) / (T B);  dY_user = dS Y_item;  dY_item = dS^T Y_user
 */
import * as tf from "@tensorflow/tfjs";
import { gatherConcat, gatherConcatGrad, inBatchSoftmaxGrad, normalizeRows, normalizeRowsGrad, type GatherPart } from "../../nn/kernels/tower";
import { reluGrad } from "../../nn/kernels/rows";
import { weightGradient } from "../../nn/kernels/weight-grad";
import { putJointGradient, type GradMap, type ParamStore } from "../../nn/params";
import type { SideInputs } from "./host";
import type { TowerFeature } from "./inputs";
import type { TwoTowerConfig } from "./options";

type Side = "user" | "item";

/** One tower's forward pass, and its backward pass given d output (it writes the weights' gradients into `grads`). */
export interface TowerPass {
  out: tf.Tensor2D;
  backward(dOut: tf.Tensor2D, grads: GradMap): void;
}

/** The weight name of each input part, in the order the tower concatenates them. */
function partNames(side: Side, x: SideInputs, features: readonly TowerFeature[]): string[] {
  const names: string[] = [];
  if (features.includes(side === "user" ? "user-id" : "item-id")) names.push(`${side}.id`);
  for (const c of x.codes) names.push(`${side}.${c.name}`);
  for (const b of x.bags) names.push(`${side}.${b.name}`);
  return names;
}

/** A tower's forward pass on the fast kernels (null when they do not run here). */
export function fastTower(params: ParamStore, side: Side, x: SideInputs, cfg: TwoTowerConfig, features: readonly TowerFeature[]): TowerPass | null {
  const names = partNames(side, x, features);
  const parts: GatherPart[] = [];
  let k = 0;
  if (names[0] === `${side}.id`) {
    const drop = x.dropId && x.dropId.some((v) => v === 0) ? tf.tensor1d(x.dropId) : undefined;
    parts.push({ table: params.get(names[k++]!) as tf.Tensor2D, ids: tf.tensor1d(x.ids, "int32"), weights: drop, bag: false });
  }
  for (const c of x.codes) parts.push({ table: params.get(names[k++]!) as tf.Tensor2D, ids: tf.tensor1d(c.codes, "int32"), bag: false });
  for (const b of x.bags) {
    parts.push({
      table: params.get(names[k++]!) as tf.Tensor2D,
      ids: tf.tensor2d(b.ids, [x.n, b.width], "int32"),
      weights: tf.tensor2d(b.weights, [x.n, b.width]),
      bag: true,
      bias: b.name === "genres" ? params.get("item.genres.bias") : undefined,
    });
  }
  const input = gatherConcat(parts);
  if (!input) return null;
  const depth = cfg.hidden.length;
  const kernel = (l: number) => params.get(`${side}.tower.dense${l}.kernel`) as tf.Tensor2D;
  const bias = (l: number) => params.get(`${side}.tower.dense${l}.bias`);
  const hs: tf.Tensor2D[] = [input];
  for (let l = 0; l <= depth; l++) {
    hs.push(tf.fused.matMul({ a: hs[l]!, b: kernel(l), bias: bias(l), activation: l < depth ? "relu" : "linear" }) as tf.Tensor2D);
  }
  const raw = hs[depth + 1]!;
  const normalized = cfg.normalize ? normalizeRows(raw) : null;
  return {
    out: normalized ? normalized[0] : raw,
    backward: (dOut, grads) => {
      let d = normalized ? normalizeRowsGrad(normalized[0], normalized[1], dOut)! : dOut;
      for (let l = depth; l >= 0; l--) {
        const dA = (l < depth ? reluGrad(d, hs[l + 1]!) ?? tf.mul(d, tf.step(hs[l + 1]!)) : d) as tf.Tensor2D;
        // [h | 1]^T dA = [dW; db] in one product (the SIMD kernel on wasm: in a training step it measured faster than
        // XNNPACK, which repacks dA, a new tensor every step).
        const joint = weightGradient(hs[l]!, dA, true) ?? tf.matMul(tf.concat([tf.transpose(hs[l]!), tf.ones([1, x.n])], 0) as tf.Tensor2D, dA);
        putJointGradient(params, grads, [`${side}.tower.dense${l}.kernel`, `${side}.tower.dense${l}.bias`], joint);
        d = tf.matMul(dA, tf.transpose(kernel(l)) as tf.Tensor2D);
      }
      const tableGrads = gatherConcatGrad(parts, d)!;
      names.forEach((name, i) => grads.set(name, tableGrads[i]!));
      if (parts.some((p) => p.bias)) grads.set("item.genres.bias", tableGrads[names.length]!);
    },
  };
}

/**
 * The in-batch softmax step on two tower passes: the new running loss total and every weight's gradient of the
 * batch mean. `logQ` may be null (no correction).
 */
export function fastSoftmaxStep(
  user: TowerPass,
  item: TowerPass,
  itemIds: Int32Array,
  logQ: Float32Array | null,
  previous: tf.Tensor,
  temperature: number,
): { total: tf.Tensor; grads: GradMap } {
  const n = itemIds.length;
  const u = user.out;
  const v = item.out;
  const s = tf.matMul(u, tf.transpose(v) as tf.Tensor2D);
  const [ds, dsT, total] = inBatchSoftmaxGrad(s as tf.Tensor2D, tf.tensor1d(itemIds, "int32"), logQ ? tf.tensor1d(logQ) : tf.zeros([n]), previous, temperature, 1 / n)!;
  const grads: GradMap = new Map();
  user.backward(tf.matMul(ds, v), grads);
  item.backward(tf.matMul(dsT, u), grads);
  return { total, grads };
}
