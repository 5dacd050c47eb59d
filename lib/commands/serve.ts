/** `recsys-lab serve`: an HTTP server answering GET /recommend?user=ID&k=10 and GET /health from memory. */
import { initBackend } from "../backend";
import { RecommendationService } from "../serving/service";
import { startServer } from "../serving/server";
import { type OptionSpec, UsageError, getFlag, getNumber, getString, parseArgs } from "./args";
import { parseIndexOptions } from "./index-build";

export const summary = "Serve recommendations over HTTP: GET /recommend?user=ID&k=10 and GET /health (JSON), from a saved model and an index bundle held in memory.";

export const options: OptionSpec[] = [
  { name: "model-dir", help: "the model the bundle was built from (saved by 'train --save')" },
  { name: "index", help: "the bundle folder written by 'index build'" },
  { name: "host", help: "address to listen on (default 127.0.0.1)" },
  { name: "port", type: "integer", help: "port (default 8080; 0 picks a free one)" },
  { name: "index-options", help: "reopen settings, e.g. efSearch=128 (approximate indexes)" },
  { name: "quiet", type: "boolean", help: "no per-request log lines" },
  { name: "backend", help: "TensorFlow.js backend: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" },
];

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "serve");
  if (positional.length) throw new UsageError(`serve: unexpected argument '${positional[0]}'; options start with --`);
  const modelDir = getString(o, "model-dir");
  const bundle = getString(o, "index");
  if (!modelDir || !bundle) throw new UsageError("serve: --model-dir and --index are required, e.g. serve --model-dir models/tt --index indexes/tt --port 8080");
  const port = getNumber(o, "port", 8080);
  if (port < 0 || port > 65535) throw new UsageError(`serve: --port must be in [0, 65535], got ${port}`);
  const overrides = parseIndexOptions(getString(o, "index-options"), "serve");
  await initBackend({ backend: getString(o, "backend"), verbose: false });
  const service = await RecommendationService.open(modelDir, bundle, overrides);
  const quiet = getFlag(o, "quiet");
  const running = await startServer(service, { host: getString(o, "host", "127.0.0.1"), port, log: quiet ? () => {} : undefined });
  // The address on stdout as JSON (tests and scripts read it); request logs on stderr.
  process.stdout.write(JSON.stringify({ listening: running.url, model: service.model.className, index: service.index.kind }) + "\n");
  const stop = async () => {
    await running.close();
    await service.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  await new Promise<never>(() => {});
}
