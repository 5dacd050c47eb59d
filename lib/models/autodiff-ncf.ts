/**
 * MF and NeuMF written as autodiff models: the same weights (names, shapes, seeded initial values) as the
 * hand-written MF and NeuMF, with forward passes of a dozen tf ops and no backward pass. They are the reference
 * the hand-written backward passes are checked against (test/models/autodiff.test.ts), the autodiff row of
 * bench/train.ts, and a worked example of the autodiff path: copy one and change its forward pass.
 */
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "../nn/embedding";
import type { ParamSpec } from "../nn/params";
import { dense, type WeightSpec } from "../nn/dense";
import { AutodiffModel } from "./autodiff";
import { MF_WEIGHTS, mfSpecs, resolveMFOptions, type MFOptions } from "./mf";
import { W, ncfSpecs, resolveNeuMFOptions, type NeuMFOptions } from "./ncf";

function asRecord(specs: ParamSpec[]): Record<string, WeightSpec> {
  return Object.fromEntries(specs.map((s) => [s.name, { shape: s.shape, group: s.group, init: s.init }]));
}

/** Biased MF, score = mu + b_u + b_i + <p_u, q_i>, as an AutodiffModel (users and items share one table, users first). */
export function autodiffMF(options: MFOptions): AutodiffModel {
  const cfg = resolveMFOptions(options);
  const { factors, biases, embeddingInitStd, ...common } = cfg;
  return new AutodiffModel({
    ...common,
    name: "AutodiffMF",
    settings: { factors, biases, embeddingInitStd },
    weights: asRecord(mfSpecs(cfg)),
    forward: (w, batch, ctx) => {
      const itemRows = tf.add(batch.itemIds, tf.scalar(cfg.numUsers, "int32")); // items follow the users in the shared table
      const p = ctx.dropout(embeddingLookup(w[MF_WEIGHTS.factors], batch.userIds), ctx.rates.embedding);
      const q = ctx.dropout(embeddingLookup(w[MF_WEIGHTS.factors], itemRows), ctx.rates.embedding);
      const dot = tf.sum(tf.mul(p, q), 1);
      if (!biases) return dot;
      const b = w[MF_WEIGHTS.bias];
      const bu = tf.reshape(embeddingLookup(b, batch.userIds), [batch.n]);
      const bi = tf.reshape(embeddingLookup(b, itemRows), [batch.n]);
      return tf.add(tf.add(dot, tf.add(bu, bi)), w[MF_WEIGHTS.globalBias]);
    },
  });
}

/** NeuMF (GMF and an MLP tower fused by one output layer) as an AutodiffModel, weight for weight the hand-written one. */
export function autodiffNeuMF(options: NeuMFOptions): AutodiffModel {
  const cfg = resolveNeuMFOptions(options);
  const { factors, layers, embeddingInitStd, ...common } = cfg;
  return new AutodiffModel({
    ...common,
    name: "AutodiffNeuMF",
    settings: { factors, layers, embeddingInitStd },
    weights: asRecord(ncfSpecs(cfg.numUsers + cfg.numItems, { gmf: factors, mlp: layers }, embeddingInitStd)),
    forward: (w, batch, ctx) => {
      const itemRows = tf.add(batch.itemIds, tf.scalar(cfg.numUsers, "int32")); // items follow the users in the shared table
      const lookup = (table: tf.Tensor, ids: tf.Tensor) => ctx.dropout(embeddingLookup(table, ids), ctx.rates.embedding);
      const gmf = tf.mul(lookup(w[W.gmfEmbedding], batch.userIds), lookup(w[W.gmfEmbedding], itemRows));
      let h: tf.Tensor = tf.concat([lookup(w[W.mlpEmbedding], batch.userIds), lookup(w[W.mlpEmbedding], itemRows)], 1);
      for (let k = 0; k + 1 < layers.length; k++) h = ctx.dropout(dense(h, w[W.kernel(k)], w[W.bias(k)]), ctx.rates.dense);
      return tf.add(tf.add(tf.matMul(gmf, w[W.outGmf]), tf.matMul(h, w[W.outMlp])), w[W.outBias]);
    },
  });
}
