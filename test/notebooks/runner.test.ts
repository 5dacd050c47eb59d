// The notebook runner must fail on every kind of broken cell, with both engines; otherwise a green notebook
// test would prove nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { expectedEngine, ROOT, runNotebook, scratchDir, writeNotebook } from "./helpers";

const GOOD_PRELUDE = 'import { isQuick } from "recsys-lab";\nconsole.log("quick:", isQuick());';
const BROKEN: Record<string, [cell: string, reason: RegExp]> = {
  "a thrown error": ['throw new Error("deliberately broken cell");', /deliberately broken cell/],
  "a type error": ['const n: number = "not a number";\nconsole.log(n);', /Type 'string' is not assignable to type 'number'/],
  "a rejected top-level await": ['await Promise.reject(new Error("deliberately rejected"));', /deliberately rejected/],
};

for (const engine of ["auto", "tslab"] as const) {
  for (const [kind, [cell, reason]] of Object.entries(BROKEN)) {
    test(`runner (${engine} engine) fails a notebook with ${kind}, and stops there`, () => {
      const dir = scratchDir(`broken-${engine}`);
      const nb = writeNotebook(path.join(dir, "broken.ipynb"), [GOOD_PRELUDE, cell, 'console.log("after the broken cell");']);
      const res = runNotebook(nb, { engine: engine === "auto" ? undefined : engine, outDir: dir });
      if (engine === "auto" && expectedEngine()) assert.equal(res.engine, expectedEngine());
      assert.equal(res.ok, false, `expected failure; log:\n${res.log}`);
      assert.notEqual(res.status, 0);
      if (res.engine === "jupyter") {
        // nbconvert names the failing cell by its source (a type error's text stays in the unsaved cell output).
        assert.ok(res.log.includes(`An error occurred while executing the following cell:\n------------------\n${cell}`), res.log);
      } else {
        assert.match(res.log, reason);
      }
      assert.doesNotMatch(res.log, /after the broken cell/);
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }

  test(`runner (${engine} engine) passes a good notebook, in quick mode, and records values`, () => {
    const dir = scratchDir(`good-${engine}`);
    const nb = writeNotebook(path.join(dir, "good.ipynb"), [GOOD_PRELUDE, 'import { record } from "recsys-lab";\nrecord("answer", 6 * 7);']);
    const res = runNotebook(nb, { engine: engine === "auto" ? undefined : engine, outDir: dir });
    assert.equal(res.ok, true, res.log);
    assert.deepEqual(res.recorded, { answer: 42 });
    const executed = JSON.parse(fs.readFileSync(res.output, "utf8"));
    const text = JSON.stringify(executed.cells[0].outputs);
    assert.match(text, /quick: true/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
}

test("the project's notebooks folder has notebooks to test", () => {
  const notebooks = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
  assert.ok(notebooks.includes("01-embeddings.ipynb"));
});

test("a deliberately broken copy of a real notebook fails the runner", () => {
  const dir = scratchDir("broken-copy");
  const nb = JSON.parse(fs.readFileSync(path.join(ROOT, "notebooks", "01-embeddings.ipynb"), "utf8"));
  const firstCode = nb.cells.findIndex((c: { cell_type: string }) => c.cell_type === "code");
  nb.cells.splice(firstCode + 1, 0, { cell_type: "code", execution_count: null, id: "broken", metadata: {}, outputs: [], source: 'throw new Error("broken on purpose");' });
  const file = path.join(dir, "01-embeddings-broken.ipynb");
  fs.writeFileSync(file, JSON.stringify(nb));
  const res = runNotebook(file, { outDir: dir });
  assert.equal(res.ok, false, res.log);
  assert.match(res.log, /broken on purpose/);
  fs.rmSync(dir, { recursive: true, force: true });
});
