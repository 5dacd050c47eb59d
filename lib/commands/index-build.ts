/**
 * `recsys-lab index build`: precompute a saved model's item vectors and store them in an index (or the vector
 * database), with the catalog serving needs (raw ids, titles, each user's seen items), as one bundle folder:
 *   OUT/index/      the index (index.json + its files)
 *   OUT/catalog.json, OUT/seen.bin, OUT/bundle.json
 */
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../backend";
import { evaluateWithIndex, indexRecall } from "../retrieval/evaluate";
import { createIndex, describeIndexKinds, indexKinds } from "../retrieval/registry";
import { retrievalVectors } from "../retrieval/vectors";
import { buildCatalog, saveCatalog } from "../serving/catalog";
import { type OptionSpec, type ParsedOptions, UsageError, getString, parseArgs, printJson } from "./args";
import { datasetOptions } from "./dataset-options";
import { round } from "./format";
import { openSavedRun } from "./saved-run";

export const summary =
  "Index tools. 'index build': store a saved model's item vectors in an index (exact, FAISS, HNSW or the pgvector database) with what serving needs; prints build time, recall against exact and the test metrics through the index.";

export const options: OptionSpec[] = [
  { name: "model-dir", help: "a model saved by 'train --save' (MF or two-tower: models whose score is a dot product)" },
  { name: "index", help: `index kind: ${safeKinds()}` },
  { name: "out", help: "folder of the bundle to write (index + catalog)" },
  { name: "index-options", help: "kind-specific settings, e.g. efSearch=64,M=16 or nlist=256,nprobe=16 or url=postgres://... (see README 'Retrieval')" },
  { name: "backend", help: "TensorFlow.js backend: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" },
  ...datasetOptions(undefined),
];

const OWN = ["model-dir", "index", "out", "index-options", "backend"];

function safeKinds(): string {
  try {
    return indexKinds().join(", ");
  } catch {
    return "(registry unreadable)";
  }
}

/** "a=1,b=x" -> { a: 1, b: "x" } (numbers and true/false parsed). */
export function parseIndexOptions(text: string | undefined, command: string): Record<string, unknown> {
  if (!text) return {};
  const out: Record<string, unknown> = {};
  for (const pair of text.split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${command}: --index-options takes name=value pairs separated by commas, e.g. efSearch=64,M=16; got '${pair}'`);
    const key = pair.slice(0, eq).trim();
    const raw = pair.slice(eq + 1).trim();
    out[key] = raw === "true" ? true : raw === "false" ? false : raw !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
  }
  return out;
}

export async function run(argv: string[]): Promise<void> {
  const { options: o, positional } = parseArgs(argv, options, "index");
  const [sub, ...extra] = positional;
  if (sub !== "build" || extra.length) {
    throw new UsageError(`index: expected the subcommand 'build' (got ${positional.length ? positional.map((p) => `'${p}'`).join(" ") : "none"}). Example: recsys-lab index build --model-dir models/tt --index exact --out indexes/tt`);
  }
  const modelDir = required(o, "model-dir");
  const kind = required(o, "index");
  const out = required(o, "out");
  if (!indexKinds().includes(kind)) throw new UsageError(`index: unknown --index '${kind}'. Kinds: ${indexKinds().join(", ")}`);
  const settings = parseIndexOptions(getString(o, "index-options"), "index");
  const status = describeIndexKinds().find((k) => k.kind === kind)!.status;
  if (status !== "available") throw new UsageError(`index: '${kind}' is not available here: ${status}`);
  const started = performance.now();
  await initBackend({ backend: getString(o, "backend"), verbose: false });
  const run = await openSavedRun(modelDir, o, "index", OWN);
  try {
    const vectors = retrievalVectors(run.model);
    const ids = Int32Array.from({ length: run.model.numItems }, (_, i) => i);
    const t0 = performance.now();
    const index = await createIndex(kind, { dim: vectors.dim, ...settings });
    await index.add(ids, vectors.items);
    // The first search may finish building (training, graph); count it in the build time.
    await index.search(vectors.users(Int32Array.of(0)), 1);
    const buildSeconds = (performance.now() - t0) / 1000;
    fs.rmSync(path.join(out, "index"), { recursive: true, force: true });
    await index.save(path.join(out, "index"));
    await saveCatalog(out, buildCatalog(run.dataset, run.split.validation ? [run.split.train, run.split.validation] : [run.split.train]));
    const bundle = { format: "recsys-lab-bundle", version: 1, modelDir: path.resolve(modelDir), model: run.info.className, index: kind, dim: vectors.dim, items: ids.length, vectors: vectors.source };
    await fs.promises.writeFile(path.join(out, "bundle.json"), JSON.stringify(bundle, null, 2) + "\n");
    // How good is the index: recall@10 against exact on the test users, and the test metrics through it.
    const exact = await createIndex("exact", { dim: vectors.dim });
    await exact.add(ids, vectors.items);
    const testUsers = Int32Array.from(new Set(run.split.test.users));
    const recall = index.isExact ? 1 : await indexRecall(index, exact, vectors.users(testUsers), 10);
    const report = await evaluateWithIndex(index, vectors, run.split.test, { train: run.split.train, exclude: run.split.validation ? [run.split.validation] : [], k: run.record.k });
    await exact.close();
    await index.close();
    printJson({
      bundle: out,
      modelDir,
      model: run.info.className,
      index: { kind, exact: index.isExact, settings, items: ids.length, dim: vectors.dim, vectors: vectors.source },
      buildSeconds: round(buildSeconds),
      recallAt10VsExact: round(recall),
      test: { protocol: report.protocol, [`hr@${report.k}`]: round(report.hr), [`ndcg@${report.k}`]: round(report.ndcg), usersEvaluated: report.usersEvaluated, queriesPerSecond: Math.round(report.queriesPerSecond) },
      seconds: round((performance.now() - started) / 1000),
    });
  } finally {
    run.model.dispose();
  }
}

function required(o: ParsedOptions, name: string): string {
  const v = getString(o, name);
  if (!v) throw new UsageError(`index build: --${name} is required`);
  return v;
}
