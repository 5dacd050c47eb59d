import * as fs from "fs"; import * as os from "os"; import * as path from "path";
import { createIndex, loadIndex, recallAt } from "./lib";
import { Rng } from "./lib/random";
async function main() {
  const rng = new Rng(1);
  const dim = 32, n = 1682, q = 943;
  const items = Float32Array.from({ length: n * dim }, () => rng.normal());
  const queries = Float32Array.from({ length: q * dim }, () => rng.normal());
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const exact = await createIndex("exact", { dim });
  await exact.add(ids, items);
  const ivf = await createIndex("faiss-ivf", { dim });
  await ivf.add(ids, items);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ivf-"));
  await ivf.save(dir);
  console.log(fs.readdirSync(dir), JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith(".json"))!), "utf8")));
  for (const p of [1, 2, 1, 2, 4, 8]) console.log("nprobe", p, (await recallAt(dir, { nprobe: p }, exact, queries)).toFixed(3));
}
main();
