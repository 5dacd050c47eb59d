/**
 * A tf.layers model as a kit model: `fromLayersModel(model, { numUsers, numItems })` trains it with `fit` (the
 * kit's optimisers, coupled L2 by group, its seed), evaluates it with the kit's protocols and saves it with its
 * topology. Gradients come from TensorFlow.js autodiff over the layers' own variables, which the kit's ParamStore
 * stands over and updates in place. Use `recsysEmbedding` (lib/nn/layers.ts) for id lookups: tf.layers.embedding's
 * gradient does not run on the wasm backend.
 *
 * By default the model's inputs are the batch's user ids and item ids, each [n, 1] in the inputs' dtype; pass
 * `inputs` for anything else (side features, histories). Dropout is the layers' own (tf.layers.dropout, active in
 * training steps), drawn from TensorFlow.js's generator rather than the kit's seed.
 */
import * as tf from "@tensorflow/tfjs";
import { RecsysEmbedding } from "../nn/layers";
import { initialValues, ParamStore, type ParamSpec, type WeightMap } from "../nn/params";
import { Rng } from "../random";
import { AutodiffModel, type PairInputs } from "./autodiff";
import { checkKnownKeys } from "./options";

export interface LayersModelOptions {
  numUsers: number;
  numItems: number;
  /** Display name. Default "LayersModel". */
  name?: string;
  /** The model's inputs for a batch. Default: [userIds, itemIds] as [n, 1] tensors in the inputs' dtypes. */
  inputs?: (batch: PairInputs) => tf.Tensor | tf.Tensor[];
  /** Coupled L2 on embedding layers' tables (see CommonOptions). Default 0. */
  embeddingL2?: number;
  /** Coupled L2 on every other weight. Default 0. */
  denseL2?: number;
  /**
   * Re-draw every weight from `seed` (true, default), so one seed fixes the run: embedding tables N(0, std^2) as
   * their layer says (tf.layers.embedding: U(-0.05, 0.05)), other kernels Glorot-uniform, biases 0 (tf.layers'
   * defaults). false keeps the weights the layers drew.
   */
  reinitialize?: boolean;
  /** Default 0. */
  seed?: number;
}

const KEYS = ["numUsers", "numItems", "name", "inputs", "embeddingL2", "denseL2", "reinitialize", "seed"];

/** The tf.layers model behind a LayersRecommender, and how its weights were named. */
interface Wrapped {
  layers: tf.LayersModel;
  specs: ParamSpec[];
  variables: Map<string, tf.Variable>;
}

export class LayersRecommender extends AutodiffModel {
  readonly layersModel: tf.LayersModel;
  /** Built with options.inputs: a function, which a saved model (and so a worker thread's replica) cannot hold. */
  readonly customInputs: boolean;

  constructor(layersModel: tf.LayersModel, options: LayersModelOptions, weights?: WeightMap) {
    checkKnownKeys("fromLayersModel", options, KEYS);
    const wrapped = wrap(layersModel);
    const toInputs = options.inputs ?? defaultInputs(layersModel);
    const store = ParamStore.overVariables(wrapped.specs, wrapped.variables);
    super(
      {
        name: options.name ?? "LayersModel",
        className: "LayersModel",
        numUsers: options.numUsers,
        numItems: options.numItems,
        embeddingL2: options.embeddingL2,
        denseL2: options.denseL2,
        seed: options.seed,
        weights: {},
        settings: { topology: layersModel.toJSON(null, false) as object, customInputs: options.inputs !== undefined },
        forward: (_w, batch, ctx) => {
          const out = layersModel.apply(toInputs(batch), { training: ctx.training });
          if (Array.isArray(out)) throw new Error(`${options.name ?? "LayersModel"}: the model must have one output (a logit per pair), it has ${out.length}`);
          return out as tf.Tensor;
        },
      },
      undefined,
      store,
    );
    this.layersModel = layersModel;
    this.customInputs = options.inputs !== undefined;
    if (weights) this.setWeights(weights);
    else if (options.reinitialize !== false) this.setWeights(seededWeights(wrapped.specs, new Rng(this.seed)));
  }

  protected override disposeExtra(): void {
    this.layersModel.dispose();
  }
}

/** Wrap a tf.layers model (see LayersRecommender). The kit model owns it from then on: dispose() disposes it. */
export function fromLayersModel(layersModel: tf.LayersModel, options: LayersModelOptions): LayersRecommender {
  return new LayersRecommender(layersModel, options);
}

/** Rebuild a saved LayersRecommender from its config (topology) and weights. */
export async function loadLayersRecommender(config: Record<string, unknown>, weights: WeightMap): Promise<LayersRecommender> {
  const settings = (config.settings ?? {}) as { topology?: object; customInputs?: boolean };
  if (!settings.topology) throw new Error("loadModel: this LayersModel config has no topology");
  if (settings.customInputs) {
    throw new Error("loadModel: this tf.layers model was trained with custom `inputs`; rebuild it with fromLayersModel(await tf.models.modelFromJSON(...), { inputs }) and setWeights");
  }
  const layers = await tf.models.modelFromJSON({ modelTopology: settings.topology as tf.io.ModelJSON["modelTopology"] });
  const c = config as { numUsers: number; numItems: number; name?: string; embeddingL2?: number; denseL2?: number; seed?: number };
  return new LayersRecommender(layers, { numUsers: c.numUsers, numItems: c.numItems, name: c.name, embeddingL2: c.embeddingL2, denseL2: c.denseL2, seed: c.seed }, weights);
}

/** Names, groups and variables of a layers model's trainable weights (stable across save and load). */
function wrap(layers: tf.LayersModel): Wrapped {
  const specs: ParamSpec[] = [];
  const variables = new Map<string, tf.Variable>();
  for (const layer of layers.layers) {
    const embedding = layer instanceof RecsysEmbedding || layer.getClassName() === "Embedding";
    for (const w of layer.trainableWeights) {
      // Variable names get "_1" suffixes when a model is rebuilt in the same process; layer names do not.
      let name = `${layer.name}/${w.originalName.split("/").pop()!.replace(/_\d+$/, "")}`;
      for (let k = 2; variables.has(name); k++) name = `${layer.name}/${w.originalName.split("/").pop()}#${k}`;
      const std = layer instanceof RecsysEmbedding ? layer.embeddingsInitStd : null;
      const init: ParamSpec["init"] = embedding
        ? std !== null
          ? { kind: "normal", std }
          : { kind: "uniform", limit: 0.05 }
        : w.shape.length >= 2
          ? { kind: "uniform", limit: Math.sqrt(6 / (w.shape[0]! + w.shape[w.shape.length - 1]!)) }
          : { kind: "zeros" };
      specs.push({ name, shape: [...w.shape] as number[], group: embedding ? "embedding" : "dense", init });
      variables.set(name, w.read() as tf.Variable);
    }
  }
  if (!specs.length) throw new Error("fromLayersModel: the model has no trainable weights");
  return { layers, specs, variables };
}

function seededWeights(specs: ParamSpec[], rng: Rng): WeightMap {
  return new Map(specs.map((s) => [s.name, { shape: [...s.shape], values: initialValues(s, rng) }]));
}

/** [userIds, itemIds] as [n, 1] tensors in the dtypes the model's two inputs declare. */
function defaultInputs(layers: tf.LayersModel): (batch: PairInputs) => tf.Tensor[] {
  if (layers.inputs.length !== 2) {
    throw new Error(`fromLayersModel: the model has ${layers.inputs.length} inputs; the default feeds two (user ids, item ids): pass options.inputs`);
  }
  const dtypes = layers.inputs.map((i) => i.dtype);
  return (batch) =>
    [batch.userIds, batch.itemIds].map((ids, k) => {
      const col = tf.reshape(ids, [batch.n, 1]);
      return dtypes[k] === "int32" ? col : tf.cast(col, dtypes[k]!);
    });
}
