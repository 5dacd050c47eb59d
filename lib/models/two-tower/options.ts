/** The options of a two-tower model, their defaults and checks, in one place. */
import { COMMON_KEYS, checkKnownKeys, resolveCommon, type CommonOptions, type ResolvedCommon } from "../options";
import type { TowerFeature } from "./inputs";

export interface TwoTowerOptions extends CommonOptions {
  /** Size of both towers' output vectors (the shared space). Default 32. */
  dim?: number;
  /** Hidden widths of each tower's MLP, from its input; [] projects linearly. Default [64]. */
  hidden?: number[];
  /** L2-normalise both towers' outputs (scores become cosines). Default true. */
  normalize?: boolean;
  /** Training scores are dot products divided by this. Default 0.05 (with normalised vectors, as the reference). */
  temperature?: number;
  /** Size of the user-id and item-id embeddings. Default 32. */
  idDim?: number;
  /** How many of the user's latest earlier items the history pools. Default 20. */
  historyLength?: number;
  /** Size of the history's item embeddings (a table of their own). Default 32. */
  historyDim?: number;
  /** Title tokens kept per item (its first ones). Default 8. */
  titleLength?: number;
  /**
   * Embedding sizes of the other inputs. Defaults: gender 4, occupation 8, age 8, zip 8, year 8, genres 16, title 16
   * (genres: a learned weight per genre, summed, plus a bias: a linear layer over the multi-hot vector).
   */
  featureDims?: Partial<Record<TowerFeature, number>>;
  /** Standard deviation of the normal initialisation of id, history and title embeddings. Default 0.05. */
  embeddingInitStd?: number;
  /** Standard deviation for the small categorical tables (gender, occupation, age, zip, year). Default 1 (PyTorch's nn.Embedding). */
  categoricalInitStd?: number;
  /**
   * Share of training examples whose item-id embedding is left out (the item tower sees only the item's features),
   * so the tower learns to place items from features alone, as it must for new items. Default 0 (as the reference).
   */
  itemIdDropout?: number;
  /**
   * Sampling-bias correction of the in-batch softmax: "counts" (log of each item's share of the training
   * interactions, default), "streaming" (Yi et al. 2019's online estimate from the batches seen), "none".
   */
  logQ?: "counts" | "streaming" | "none";
}

export type TwoTowerConfig = ResolvedCommon &
  Required<Omit<TwoTowerOptions, keyof CommonOptions | "featureDims">> & { featureDims: Record<TowerFeature, number> };

export const DEFAULT_FEATURE_DIMS: Record<TowerFeature, number> = {
  "user-id": 32,
  gender: 4,
  occupation: 8,
  age: 8,
  zip: 8,
  history: 32,
  "item-id": 32,
  genres: 16,
  year: 8,
  title: 16,
};

const KEYS = [
  ...COMMON_KEYS,
  "dim",
  "hidden",
  "normalize",
  "temperature",
  "idDim",
  "historyLength",
  "historyDim",
  "titleLength",
  "featureDims",
  "embeddingInitStd",
  "categoricalInitStd",
  "logQ",
  "itemIdDropout",
];

/** Defaults of TwoTower, in one place. The caller's object is not modified. */
export function resolveTwoTowerOptions(options: TwoTowerOptions): TwoTowerConfig {
  checkKnownKeys("TwoTower", options, KEYS);
  const idDim = options.idDim ?? 32;
  const historyDim = options.historyDim ?? 32;
  const cfg: TwoTowerConfig = {
    ...resolveCommon("TwoTower", options),
    dim: options.dim ?? 32,
    hidden: [...(options.hidden ?? [64])],
    normalize: options.normalize ?? true,
    temperature: options.temperature ?? 0.05,
    idDim,
    historyLength: options.historyLength ?? 20,
    historyDim,
    titleLength: options.titleLength ?? 8,
    featureDims: { ...DEFAULT_FEATURE_DIMS, "user-id": idDim, "item-id": idDim, history: historyDim, ...(options.featureDims ?? {}) },
    embeddingInitStd: options.embeddingInitStd ?? 0.05,
    categoricalInitStd: options.categoricalInitStd ?? 1,
    logQ: options.logQ ?? "counts",
    itemIdDropout: options.itemIdDropout ?? 0,
  };
  if (!(cfg.itemIdDropout >= 0 && cfg.itemIdDropout < 1)) throw new Error(`TwoTower: itemIdDropout must be in [0, 1), got ${cfg.itemIdDropout}`);
  const positiveInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`TwoTower: ${what} must be a positive integer, got ${v}`);
  };
  for (const k of ["dim", "idDim", "historyLength", "historyDim", "titleLength"] as const) positiveInt(cfg[k], k);
  for (const [k, v] of Object.entries(cfg.featureDims)) positiveInt(v, `featureDims.${k}`);
  cfg.hidden.forEach((w, k) => positiveInt(w, `hidden[${k}]`));
  if (!(cfg.temperature > 0)) throw new Error(`TwoTower: temperature must be > 0, got ${cfg.temperature}`);
  if (!["counts", "streaming", "none"].includes(cfg.logQ)) throw new Error(`TwoTower: logQ must be 'counts', 'streaming' or 'none', got '${cfg.logQ}'`);
  for (const k of ["embeddingInitStd", "categoricalInitStd"] as const) {
    if (!(cfg[k] >= 0)) throw new Error(`TwoTower: ${k} must be a number >= 0, got ${cfg[k]}`);
  }
  return cfg;
}
