/** Shared by the notebook tests: run a notebook in quick mode and read back what it recorded. */
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");

interface RunResult {
  ok: boolean;
  status: number | null;
  engine: "jupyter" | "tslab";
  output: string;
  record: string;
  log: string;
}

const runner = require(path.join(ROOT, "scripts", "run-notebooks.js")) as {
  runNotebook(nb: string, o?: { engine?: string; outDir?: string; env?: Record<string, string> }): RunResult;
};

export function runNotebook(notebook: string, options: { engine?: "jupyter" | "tslab"; outDir?: string } = {}) {
  const outDir = options.outDir ?? path.join(ROOT, "results", "notebooks");
  const result = runner.runNotebook(notebook, { ...options, outDir, env: { RECSYS_QUICK: "1" } });
  const recorded = fs.existsSync(result.record) ? (JSON.parse(fs.readFileSync(result.record, "utf8")) as Record<string, unknown>) : {};
  return { ...result, recorded };
}

/** CI sets RECSYS_REQUIRE_JUPYTER=1 so that a missing Jupyter cannot silently downgrade the notebook tests. */
export function expectedEngine(): "jupyter" | undefined {
  return process.env.RECSYS_REQUIRE_JUPYTER === "1" ? "jupyter" : undefined;
}

/** A scratch folder inside the project (so notebooks there resolve `recsys-lab` like the real ones). */
export function scratchDir(name: string): string {
  const dir = path.join(ROOT, "test", ".tmp", `${name}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write a notebook made of the given code cells (tslab kernel). */
export function writeNotebook(file: string, cells: string[]): string {
  const nb = {
    cells: cells.map((source) => ({ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source })),
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1));
  return file;
}
