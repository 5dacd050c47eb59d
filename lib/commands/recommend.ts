/** `recsys-lab recommend`: one user's top-k from a saved model and an index bundle, as JSON. */
import { initBackend } from "../backend";
import { RecommendationService } from "../serving/service";
import { type OptionSpec, UsageError, getNumber, getString, parseArgs, printJson } from "./args";
import { parseIndexOptions } from "./index-build";

export const summary = "Recommend: a user's top-k unseen items (raw ids, titles, scores) from a saved model and an index bundle, as JSON.";

export const options: OptionSpec[] = [
  { name: "model-dir", help: "the model the bundle was built from (saved by 'train --save')" },
  { name: "index", help: "the bundle folder written by 'index build'" },
  { name: "user", help: "the user's raw id (as in the dataset)" },
  { name: "k", type: "integer", help: "how many items (default 10)" },
  { name: "index-options", help: "reopen settings, e.g. efSearch=128 (approximate indexes)" },
  { name: "backend", help: "TensorFlow.js backend: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "recommend");
  if (positional.length) throw new UsageError(`recommend: unexpected argument '${positional[0]}'; options start with --`);
  const modelDir = getString(o, "model-dir");
  const bundle = getString(o, "index");
  const user = getString(o, "user");
  if (!modelDir || !bundle || user === undefined) throw new UsageError("recommend: --model-dir, --index and --user are required, e.g. recommend --model-dir models/tt --index indexes/tt --user 42");
  const k = getNumber(o, "k", 10);
  if (k < 1) throw new UsageError(`recommend: --k must be at least 1, got ${k}`);
  const overrides = parseIndexOptions(getString(o, "index-options"), "recommend");
  await initBackend({ backend: getString(o, "backend"), verbose: false });
  const service = await RecommendationService.open(modelDir, bundle, overrides);
  try {
    const started = performance.now();
    const result = await service.recommend(user, k);
    printJson({ ...result, ms: Math.round((performance.now() - started) * 100) / 100 });
  } finally {
    await service.close();
  }
}
