/**
 * Save and load a model as a folder:
 *   config.json   { "format": "recsys-lab-model", "version": 1, "className": "NeuMF", "config": { ...getConfig() } }
 *   weights.json  manifest: [{ "name", "shape", "offset", "length" }] (offset and length in float32 values)
 *   weights.bin   every weight as little-endian float32, in manifest order
 * Loading rebuilds the model from its config and puts the weights back, so scores are bit-identical.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { WeightMap } from "../nn/params";
import type { Model } from "./model";
import { MF, type MFOptions } from "./mf";
import { GMF, MLP, NeuMF, type GMFOptions, type MLPOptions, type NeuMFOptions } from "./ncf";

export const MODEL_FORMAT = "recsys-lab-model";
export const MODEL_FORMAT_VERSION = 1;

/** Every model class that can be loaded, by class name. */
export const MODEL_CLASSES = {
  MF: (config: object, weights?: WeightMap) => new MF(config as MFOptions, weights),
  GMF: (config: object, weights?: WeightMap) => new GMF(config as GMFOptions, weights),
  MLP: (config: object, weights?: WeightMap) => new MLP(config as MLPOptions, weights),
  NeuMF: (config: object, weights?: WeightMap) => new NeuMF(config as NeuMFOptions, weights),
} as const;

export type ModelClassName = keyof typeof MODEL_CLASSES;
export type AnyModel = MF | GMF | MLP | NeuMF;

interface ManifestEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** Write config.json, weights.json and weights.bin into `dir` (created if missing). */
export async function saveModel(model: Model, dir: string): Promise<void> {
  if (!(model.className in MODEL_CLASSES)) throw new Error(`saveModel: unknown model class '${model.className}'`);
  const weights = model.getWeights();
  const manifest: ManifestEntry[] = [];
  let offset = 0;
  for (const [name, w] of weights) {
    manifest.push({ name, shape: w.shape, offset, length: w.values.length });
    offset += w.values.length;
  }
  const all = new Float32Array(offset);
  for (const e of manifest) all.set(weights.get(e.name)!.values, e.offset);
  const bin = littleEndianBytes(all);
  const config = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    className: model.className,
    config: model.getConfig(),
    weightsSha256: createHash("sha256").update(bin).digest("hex"),
  };
  // Written into a temporary folder beside the target and renamed into place: a crash never leaves half a model.
  const target = path.resolve(dir);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = await fs.promises.mkdtemp(`${target}.tmp-`);
  try {
    await fs.promises.writeFile(path.join(tmp, "config.json"), JSON.stringify(config, null, 2) + "\n");
    await fs.promises.writeFile(path.join(tmp, "weights.json"), JSON.stringify(manifest, null, 1) + "\n");
    await fs.promises.writeFile(path.join(tmp, "weights.bin"), bin);
    const old = `${tmp}-old`;
    const existed = fs.existsSync(target);
    if (existed) await fs.promises.rename(target, old);
    await fs.promises.rename(tmp, target);
    if (existed) await fs.promises.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Rebuild a model saved by saveModel. */
export async function loadModel(dir: string): Promise<AnyModel> {
  const read = async (file: string) => {
    try {
      return await fs.promises.readFile(path.join(dir, file));
    } catch (err) {
      throw new Error(`loadModel: cannot read ${path.join(dir, file)} (${(err as Error).message}); is it a folder written by saveModel?`);
    }
  };
  const config = JSON.parse((await read("config.json")).toString("utf8")) as {
    format?: string;
    version?: number;
    className?: string;
    config?: object;
    weightsSha256?: string;
  };
  if (config.format !== MODEL_FORMAT) throw new Error(`loadModel: ${dir}/config.json is not a ${MODEL_FORMAT} file (format: ${config.format})`);
  if (config.version !== MODEL_FORMAT_VERSION) {
    throw new Error(`loadModel: ${dir} has format version ${config.version}; this library reads version ${MODEL_FORMAT_VERSION}`);
  }
  const make = MODEL_CLASSES[config.className as ModelClassName];
  if (!make) throw new Error(`loadModel: unknown model class '${config.className}'. Valid: ${Object.keys(MODEL_CLASSES).join(", ")}`);
  const manifest = JSON.parse((await read("weights.json")).toString("utf8")) as ManifestEntry[];
  const bytes = await read("weights.bin");
  if (config.weightsSha256 !== undefined && createHash("sha256").update(bytes).digest("hex") !== config.weightsSha256) {
    throw new Error(`loadModel: ${path.join(dir, "weights.bin")} does not match the checksum in config.json (corrupted or replaced); save the model again`);
  }
  const all = fromLittleEndian(bytes);
  const weights: WeightMap = new Map();
  for (const e of manifest) {
    if (e.offset + e.length > all.length) throw new Error(`loadModel: weights.bin is too short for weight '${e.name}'`);
    weights.set(e.name, { shape: e.shape, values: all.slice(e.offset, e.offset + e.length) });
  }
  return make(config.config ?? {}, weights) as AnyModel;
}

function littleEndianBytes(values: Float32Array): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf;
}

function fromLittleEndian(bytes: Buffer): Float32Array {
  if (bytes.length % 4 !== 0) throw new Error(`loadModel: weights.bin has ${bytes.length} bytes, not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
