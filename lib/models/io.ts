/**
 * Save and load a model as a folder, with what it was trained on:
 *   config.json    { format, version, className, config, epochsTrained, weightsSha256, data?, training?, optimizer? }
 *   weights.json   manifest: [{ name, shape, offset, length }] (offset and length in float32 values)
 *   weights.bin    every weight as little-endian float32, in manifest order
 *   ids.json       the raw user and item ids of the index space (when saved with `train`)
 *   optimizer.bin  the optimiser's state, slot by slot (when it has one): training resumes exactly
 * `data` holds the sizes and a fingerprint of the training interactions: loading against data whose ids differ, or
 * evaluating against a training split that is not the one the model saw, is an error that says so.
 *
 * A folder is written beside its target and renamed into place: a save that fails leaves the previous model as
 * it was. Loading rebuilds the model from its config through a factory registered under its class name (the kit's
 * models are registered; `registerModelClass` adds your own), checks every length against the shapes and the
 * checksum, and puts the weights back, so scores are bit-identical.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { Interactions } from "../data/interactions";
import { Optimizer, optimizerOptionsOf, type OptimizerState, type ResolvedOptimizerOptions } from "../nn/optimizers";
import { sizeOf, type WeightMap } from "../nn/params";
import type { LossName } from "../nn/losses";
import { autodiffMF, autodiffNeuMF } from "./autodiff-ncf";
import { loadLayersRecommender } from "./layers-model";
import { MF, type MFOptions } from "./mf";
import type { Model } from "./model";
import { GMF, MLP, NeuMF, type GMFOptions, type MLPOptions, type NeuMFOptions } from "./ncf";
import { decodeInputs } from "./two-tower/inputs";
import { TwoTower } from "./two-tower/model";
import type { TwoTowerOptions } from "./two-tower/options";

export const MODEL_FORMAT = "recsys-lab-model";
export const MODEL_FORMAT_VERSION = 2;

/**
 * Rebuilds a model from its saved config and weights; `read(name)` reads one of the files the model wrote with
 * `saveExtras()` from the same folder.
 */
export type ModelFactory = (config: Record<string, unknown>, weights: WeightMap, read: (file: string) => Promise<Buffer>) => Model | Promise<Model>;

/** Rebuild an autodiff model from its common options plus its settings. */
function fromSettings(make: (options: never) => Model): ModelFactory {
  return (config, weights) => {
    const { name: _name, className: _className, settings, ...common } = config as Record<string, unknown> & { settings?: object };
    const model = make({ ...common, ...(settings ?? {}) } as never);
    model.setWeights(weights);
    return model;
  };
}

const factories = new Map<string, ModelFactory>([
  ["MF", (c, w) => new MF(c as unknown as MFOptions, w)],
  ["GMF", (c, w) => new GMF(c as unknown as GMFOptions, w)],
  ["MLP", (c, w) => new MLP(c as unknown as MLPOptions, w)],
  ["NeuMF", (c, w) => new NeuMF(c as unknown as NeuMFOptions, w)],
  ["AutodiffMF", fromSettings(autodiffMF)],
  ["AutodiffNeuMF", fromSettings(autodiffNeuMF)],
  ["LayersModel", (c, w) => loadLayersRecommender(c, w)],
  [
    "TwoTower",
    async (c, w, read) => {
      const meta = JSON.parse((await read("tower-inputs.json")).toString("utf8")) as object;
      return new TwoTower(c as unknown as TwoTowerOptions, decodeInputs(meta, await read("tower-inputs.bin")), w);
    },
  ],
]);

/**
 * Make saved models of class `className` loadable: `factory(config, weights)` rebuilds one (e.g. for an
 * AutodiffModel: build it from `config.settings`, then `setWeights(weights)`). Replaces an earlier registration.
 */
export function registerModelClass(className: string, factory: ModelFactory): void {
  if (!className || typeof factory !== "function") throw new Error("registerModelClass: needs a class name and a factory (config, weights) => model");
  factories.set(className, factory);
}

/** The factory registered under `className` (undefined when there is none). */
export function modelFactory(className: string): ModelFactory | undefined {
  return factories.get(className);
}

/** Class names that loadModel can rebuild. */
export function registeredModelClasses(): string[] {
  return [...factories.keys()];
}

/** What a model was trained on: sizes and a fingerprint of the training interactions. */
export interface TrainingData {
  numUsers: number;
  numItems: number;
  interactions: number;
  fingerprint: string;
}

export interface SaveOptions {
  /** The training interactions: their raw ids and fingerprint are saved with the model. */
  train?: Interactions;
  /** Save the optimiser's state so a later fit resumes exactly. Default true when the model has an optimiser. */
  optimizer?: boolean;
  /** A record of how the model was trained (plain JSON; `trainAndEvaluate` writes its run, `evaluate --model-dir` reads it). */
  training?: object;
}

/** What config.json says besides the weights (see readModelInfo). */
export interface SavedModelInfo {
  className: string;
  config: Record<string, unknown>;
  epochsTrained: number;
  data?: TrainingData;
  training?: Record<string, unknown>;
  /** The saved optimiser's options and loss, when its state was saved. */
  optimizer?: { config: ResolvedOptimizerOptions; iterations: number; loss: LossName | null; slots: { name: string | null; lengths: number[] }[] };
}

const RESERVED = ["config.json", "weights.json", "weights.bin", "ids.json", "optimizer.bin"];

interface ManifestEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** Write the model (and what it was trained on, see SaveOptions) into `dir`, atomically. */
export async function saveModel(model: Model, dir: string, options: SaveOptions = {}): Promise<void> {
  if (!factories.has(model.className)) {
    throw new Error(`saveModel: no factory is registered for class '${model.className}', so it could not be loaded; call registerModelClass('${model.className}', (config, weights) => ...) first`);
  }
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

  const info: Record<string, unknown> = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    className: model.className,
    config: model.getConfig(),
    epochsTrained: model.epochsTrained,
    weightsSha256: sha256(bin),
  };
  const files: [string, string | Buffer][] = [];
  if (options.train) {
    const t = options.train;
    if (t.numUsers !== model.numUsers || t.numItems !== model.numItems) {
      throw new Error(`saveModel: the model has ${model.numUsers} users x ${model.numItems} items but the training data has ${t.numUsers} x ${t.numItems}`);
    }
    info.data = { numUsers: t.numUsers, numItems: t.numItems, interactions: t.length, fingerprint: t.fingerprint() } satisfies TrainingData;
    files.push(["ids.json", JSON.stringify({ users: t.userIds, items: t.itemIds }) + "\n"]);
  }
  if (options.training) info.training = JSON.parse(JSON.stringify(options.training)) as object;
  const optimizer = model.optimizer;
  if (optimizer && options.optimizer !== false) {
    const state = optimizer.getState();
    const bytes = littleEndianBytes(concatFloat(state.slots.flatMap((s) => s.values)));
    info.optimizer = {
      config: state.config,
      iterations: state.iterations,
      loss: model.loss?.name ?? null,
      slots: state.slots.map((s) => ({ name: s.name, lengths: s.values.map((v) => v.length) })),
      sha256: sha256(bytes),
    };
    files.push(["optimizer.bin", bytes]);
  }
  const extras = model.saveExtras();
  for (const name of Object.keys(extras)) {
    if (RESERVED.includes(name)) throw new Error(`saveModel: ${model.className}.saveExtras() may not write '${name}' (the kit's own file)`);
  }
  files.push(...Object.entries(extras));
  info.extras = Object.keys(extras);
  files.push(["config.json", JSON.stringify(info, null, 2) + "\n"], ["weights.json", JSON.stringify(manifest, null, 1) + "\n"], ["weights.bin", bin]);
  await writeFolderAtomically(path.resolve(dir), files);
}

/** Written into a temporary folder beside the target, then swapped in; on any failure the old folder stays. */
async function writeFolderAtomically(target: string, files: [string, string | Buffer][]): Promise<void> {
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = await fs.promises.mkdtemp(`${target}.tmp-`);
  const old = `${tmp}-old`;
  let moved = false;
  try {
    for (const [name, content] of files) await fs.promises.writeFile(path.join(tmp, name), content);
    if (fs.existsSync(target)) {
      await fs.promises.rename(target, old);
      moved = true;
    }
    await fs.promises.rename(tmp, target);
  } catch (err) {
    if (moved && !fs.existsSync(target)) await fs.promises.rename(old, target);
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  if (moved) await fs.promises.rm(old, { recursive: true, force: true });
}

export interface LoadOptions {
  /**
   * Data to use the model with: its raw user and item ids must be the ones the model was trained on (when the
   * model was saved with them), else loading fails with the differences.
   */
  data?: Interactions;
}

/** Rebuild a model saved by saveModel (with its epoch count and, when saved, its optimiser state). */
export async function loadModel(dir: string, options: LoadOptions = {}): Promise<Model> {
  const info = await readModelInfo(dir);
  if (options.data) await checkModelData(dir, info, options.data);
  const factory = factories.get(info.className);
  if (!factory) {
    throw new Error(
      `loadModel: ${dir} holds a '${info.className}', which no factory is registered for. ` +
        `Registered: ${registeredModelClasses().join(", ")}. For a model of your own call registerModelClass('${info.className}', (config, weights) => ...) first`,
    );
  }
  const manifest = JSON.parse((await readFile(dir, "weights.json")).toString("utf8")) as ManifestEntry[];
  const bytes = await readFile(dir, "weights.bin");
  const stored = (info as unknown as { weightsSha256?: string }).weightsSha256;
  if (stored !== undefined && sha256(bytes) !== stored) {
    throw new Error(`loadModel: ${path.join(dir, "weights.bin")} does not match the checksum in config.json (corrupted or replaced); save the model again`);
  }
  const all = fromLittleEndian(bytes, path.join(dir, "weights.bin"));
  const weights: WeightMap = new Map();
  for (const e of manifest) {
    if (e.length !== sizeOf(e.shape)) {
      throw new Error(`loadModel: weights.json says '${e.name}' has shape [${e.shape.join(", ")}] but ${e.length} values; the manifest is corrupt`);
    }
    if (e.offset + e.length > all.length) throw new Error(`loadModel: weights.bin is too short for weight '${e.name}'`);
    weights.set(e.name, { shape: e.shape, values: all.slice(e.offset, e.offset + e.length) });
  }
  const model = await factory(info.config, weights, (file) => readFile(dir, file));
  model.epochsTrained = info.epochsTrained;
  if (info.optimizer) {
    const optBytes = await readFile(dir, "optimizer.bin");
    if (sha256(optBytes) !== (info.optimizer as unknown as { sha256: string }).sha256) {
      throw new Error(`loadModel: ${path.join(dir, "optimizer.bin")} does not match the checksum in config.json; save the model again`);
    }
    const flat = fromLittleEndian(optBytes, path.join(dir, "optimizer.bin"));
    let o = 0;
    const slots = info.optimizer.slots.map((s) => ({
      name: s.name,
      values: s.lengths.map((n) => {
        if (o + n > flat.length) throw new Error(`loadModel: optimizer.bin is too short for slot '${s.name ?? "packed"}'`);
        return flat.slice(o, (o += n));
      }),
    }));
    const state: OptimizerState = { config: info.optimizer.config, iterations: info.optimizer.iterations, slots };
    const optimizer = new Optimizer(optimizerOptionsOf(info.optimizer.config));
    optimizer.setState(state);
    model.compile({ loss: info.optimizer.loss ?? "bce", optimizer });
  }
  return model;
}

/** config.json of a saved model: class, config, epochs, what it was trained on. */
export async function readModelInfo(dir: string): Promise<SavedModelInfo> {
  const info = JSON.parse((await readFile(dir, "config.json")).toString("utf8")) as Partial<SavedModelInfo> & { format?: string; version?: number };
  if (info.format !== MODEL_FORMAT) throw new Error(`loadModel: ${path.join(dir, "config.json")} is not a ${MODEL_FORMAT} file (format: ${info.format})`);
  if (info.version !== 1 && info.version !== MODEL_FORMAT_VERSION) {
    throw new Error(`loadModel: ${dir} has format version ${info.version}; this library reads versions 1 and ${MODEL_FORMAT_VERSION}`);
  }
  return { ...info, className: info.className ?? "", config: info.config ?? {}, epochsTrained: info.epochsTrained ?? 0 } as SavedModelInfo;
}

/** Fails when `data`'s raw ids are not those the model at `dir` was trained on. */
export async function checkModelData(dir: string, info: SavedModelInfo, data: Interactions): Promise<void> {
  const d = info.data;
  if (!d) return;
  if (d.numUsers !== data.numUsers || d.numItems !== data.numItems) {
    throw new Error(
      `loadModel: the model in ${dir} was trained on ${d.numUsers} users x ${d.numItems} items, but this data has ${data.numUsers} x ${data.numItems}; ` +
        `load it with the dataset it was trained on`,
    );
  }
  const ids = JSON.parse((await readFile(dir, "ids.json")).toString("utf8")) as { users: string[]; items: string[] };
  for (const [what, saved, now] of [["user", ids.users, data.userIds], ["item", ids.items, data.itemIds]] as const) {
    const k = saved.findIndex((id, i) => id !== now[i]);
    if (k >= 0) {
      throw new Error(`loadModel: the model in ${dir} has ${what} '${saved[k]}' at index ${k}, but this data has '${now[k]}' there; load it with the dataset it was trained on`);
    }
  }
}

/** Fails when `train` is not the split the model was trained on (same ids, other rows: another split or seed). */
export function checkTrainingData(dir: string, info: SavedModelInfo, train: Interactions): void {
  const d = info.data;
  if (!d) return;
  if (d.fingerprint !== train.fingerprint()) {
    throw new Error(
      `the model in ${dir} was trained on ${d.interactions} interactions with fingerprint ${d.fingerprint.slice(0, 12)}…, but this training split has ` +
        `${train.length} with fingerprint ${train.fingerprint().slice(0, 12)}…: another dataset version, split or seed`,
    );
  }
}

async function readFile(dir: string, file: string): Promise<Buffer> {
  try {
    return await fs.promises.readFile(path.join(dir, file));
  } catch (err) {
    throw new Error(`loadModel: cannot read ${path.join(dir, file)} (${(err as Error).message}); is it a folder written by saveModel?`);
  }
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function concatFloat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function littleEndianBytes(values: Float32Array): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf;
}

function fromLittleEndian(bytes: Buffer, file: string): Float32Array {
  if (bytes.length % 4 !== 0) throw new Error(`loadModel: ${file} has ${bytes.length} bytes, not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}
