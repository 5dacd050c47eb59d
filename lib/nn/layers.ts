/**
 * `recsysEmbedding`: an embedding layer for tf.layers models that trains on every backend. tf.layers.embedding
 * looks rows up with tf.gather, whose gradient needs the UnsortedSegmentSum kernel that the wasm backend lacks;
 * this layer uses the kit's embeddingLookup (gatherND forward, scatterND backward) instead. Same inputs and outputs
 * as tf.layers.embedding: integer ids of any shape in, one `outputDim` vector per id out ([...inputShape, outputDim]).
 *
 *   const user = tf.input({ shape: [1], dtype: "int32" });
 *   const vec = tf.layers.flatten().apply(recsysEmbedding({ inputDim: numUsers, outputDim: 32 }).apply(user));
 *
 * Registered with tf.serialization, so models that use it save and load with their topology.
 */
import * as tf from "@tensorflow/tfjs";
import { embeddingLookup } from "./embedding";

export interface RecsysEmbeddingArgs {
  /** Number of rows (ids 0 .. inputDim - 1). Required. */
  inputDim: number;
  /** Size of each vector. Required. */
  outputDim: number;
  /** Standard deviation of the normal initialisation. Default 0.01 (He et al. 2017). */
  embeddingsInitStd?: number;
  /** Seed of the initialisation (the kit re-draws weights from its own seed when it wraps the model). */
  seed?: number;
  /** Layer name. */
  name?: string;
  /** Input shape without the batch dimension, e.g. [1] (when this is the first layer of a sequential model). */
  inputShape?: number[];
  trainable?: boolean;
}

export class RecsysEmbedding extends tf.layers.Layer {
  static className = "RecsysEmbedding";
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitStd: number;
  private readonly seed: number | undefined;
  private embeddings: tf.LayerVariable | null = null;

  constructor(args: RecsysEmbeddingArgs) {
    super({ name: args.name, inputShape: args.inputShape, trainable: args.trainable, dtype: "float32" });
    for (const k of ["inputDim", "outputDim"] as const) {
      if (!Number.isInteger(args[k]) || args[k] < 1) throw new Error(`recsysEmbedding: ${k} must be a positive integer, got ${args[k]}`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.embeddingsInitStd = args.embeddingsInitStd ?? 0.01;
    this.seed = args.seed;
  }

  override build(): void {
    this.embeddings = this.addWeight(
      "embeddings",
      [this.inputDim, this.outputDim],
      "float32",
      tf.initializers.randomNormal({ mean: 0, stddev: this.embeddingsInitStd, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const ids = x.dtype === "int32" ? x : tf.cast(x, "int32");
      const rows = embeddingLookup(this.embeddings!.read(), tf.reshape(ids, [ids.size, 1]));
      return tf.reshape(rows, [...x.shape, this.outputDim]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitStd: this.embeddingsInitStd, ...(this.seed !== undefined ? { seed: this.seed } : {}) };
  }
}

tf.serialization.registerClass(RecsysEmbedding);

/** An embedding layer that trains on wasm, cpu and tfjs-node (see RecsysEmbedding). */
export function recsysEmbedding(args: RecsysEmbeddingArgs): RecsysEmbedding {
  return new RecsysEmbedding(args);
}
