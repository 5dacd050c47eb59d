/**
 * The configurations `recsys-lab compare` runs by model name, and the spaces `--tune` searches. Defaults follow the
 * kit's measured settings on MovieLens-100K (README, "Quality against the PyTorch reference") and the papers'
 * advice: MF with 32 factors and a little L2 for 20 epochs (Rendle et al. 2020 tuned MF beats NeuMF), NCF models
 * as He et al. 2017 for 10 epochs, iALS as Rendle et al. 2022, EASE's lambda from Steck 2019's MovieLens range.
 */
import type { ParameterSpace } from "./grid";
import type { ModelConfig } from "./runs";

/** Model names `compare --models` takes, in the order of the default table. */
export const COMPARE_MODELS = ["pop", "itemknn", "ease", "ials", "mf", "gmf", "mlp", "neumf", "two-tower"] as const;

const PRESETS: Record<string, ModelConfig> = {
  pop: { label: "MostPopular", model: "pop" },
  random: { label: "Random", model: "random" },
  truth: { label: "ground truth", model: "truth" },
  itemknn: { label: "ItemKNN", model: "itemknn", options: { k: 50 } },
  ease: { label: "EASE", model: "ease", options: { lambda: 500 } },
  ials: { label: "iALS", model: "ials", options: { factors: 64, iterations: 16 } },
  mf: { label: "MF", model: "mf", options: { factors: 32, embeddingL2: 1e-6, denseL2: 1e-6 }, training: { epochs: 20 } },
  gmf: { label: "GMF", model: "gmf", training: { epochs: 10 } },
  mlp: { label: "MLP", model: "mlp", training: { epochs: 10 } },
  neumf: { label: "NeuMF", model: "neumf", training: { epochs: 10 } },
  "two-tower": { label: "Two-Tower", model: "two-tower", training: { epochs: 10 } },
};

/** Spaces searched by `compare --tune`: the options that matter most for each model. */
const SPACES: Record<string, ParameterSpace> = {
  itemknn: { k: [10, 20, 50, 100, 200], shrinkage: [0, 10, 50] },
  ease: { lambda: { min: 50, max: 5000, log: true } },
  ials: { factors: [32, 64, 128], l2: { min: 1e-3, max: 0.1, log: true }, unobservedWeight: { min: 0.05, max: 1, log: true } },
  mf: { factors: [16, 32, 64, 128], embeddingL2: { min: 1e-8, max: 1e-4, log: true }, learningRate: { min: 3e-4, max: 1e-2, log: true } },
  gmf: { factors: [8, 16, 32, 64], learningRate: { min: 3e-4, max: 1e-2, log: true } },
  mlp: { embeddingDropout: [0, 0.1, 0.3], learningRate: { min: 3e-4, max: 1e-2, log: true } },
  neumf: { factors: [8, 16, 32], denseDropout: [0, 0.1, 0.3], learningRate: { min: 3e-4, max: 1e-2, log: true } },
  "two-tower": { temperature: [0.05, 0.1, 0.2], learningRate: { min: 1e-3, max: 1e-2, log: true } },
};

/** The configuration compare runs for a model name; `epochs` overrides trained models' epochs. */
export function presetConfig(name: string, overrides: { epochs?: number } = {}): ModelConfig {
  const preset = PRESETS[name];
  if (!preset) throw new Error(`unknown model '${name}'. Valid: ${Object.keys(PRESETS).join(", ")}`);
  const config: ModelConfig = structuredClone(preset);
  if (overrides.epochs !== undefined && config.training) config.training.epochs = overrides.epochs;
  return config;
}

/** The search space of a model name, or undefined for models without hyper-parameters (pop, random, truth). */
export function tuningSpace(name: string): ParameterSpace | undefined {
  return SPACES[name];
}

/** Every name presetConfig knows. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
