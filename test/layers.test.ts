/**
 * The library's layers (README "Layout"): a file imports only its own folder and the layers below it, so no two
 * folders import each other. random/backend/... -> data and nn (neither imports the other) -> models -> train and
 * eval (train's validators use eval) -> retrieval -> serving -> experiments -> commands, cli, index; viz imports
 * nothing above the base.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";

const LIB = path.join(__dirname, "..", "lib");
const RANK: Record<string, number> = {
  random: 0, backend: 0, version: 0, progress: 0, notebook: 0, "worker-thread": 0, exercises: 0.5,
  data: 1, nn: 1, viz: 1,
  models: 2,
  eval: 3, train: 3.5,
  retrieval: 4, serving: 5, experiments: 6, teaching: 6.5,
  commands: 7, cli: 8, index: 8,
};

function layerOf(file: string): string {
  const rel = path.relative(LIB, file).split(path.sep);
  return rel.length > 1 ? rel[0]! : rel[0]!.replace(/\.ts$/, "");
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}

test("every import in lib/ goes to the same layer or a layer below (no cycles between folders)", () => {
  const violations: string[] = [];
  let checked = 0;
  for (const file of walk(LIB)) {
    const from = layerOf(file);
    assert.ok(from in RANK, `${path.relative(LIB, file)}: layer '${from}' is not in the test's table; add it`);
    const source = fs.readFileSync(file, "utf8");
    for (const m of source.matchAll(/^(?:import|export)[^"']*from\s+["'](\.{1,2}\/[^"']+)["']/gm)) {
      const target = layerOf(path.resolve(path.dirname(file), m[1]!));
      checked++;
      if (target === from) continue;
      const ok = from === "viz" ? RANK[target]! === 0 : RANK[target]! < RANK[from]!;
      if (!ok) violations.push(`${path.relative(LIB, file)} (${from}) imports ${m[1]} (${target})`);
    }
  }
  assert.ok(checked > 100, `only ${checked} imports seen; is the pattern right?`);
  assert.deepEqual(violations, []);
});
