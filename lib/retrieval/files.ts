/** The folder of a saved index: index.json (the manifest) beside the implementation's files, written atomically. */
import * as fs from "fs";
import * as path from "path";
import type { IndexManifest } from "./vector-index";

/** Write the manifest and files into a temporary folder beside `dir`, then swap it in (a failure leaves the old one). */
export async function writeIndexFolder(dir: string, manifest: IndexManifest, files: Record<string, Buffer | string>): Promise<void> {
  const target = path.resolve(dir);
  await fs.promises.mkdir(path.dirname(target), { recursive: true });
  const tmp = await fs.promises.mkdtemp(`${target}.tmp-`);
  const old = `${tmp}-old`;
  let moved = false;
  try {
    for (const [name, content] of Object.entries(files)) await fs.promises.writeFile(path.join(tmp, name), content);
    await fs.promises.writeFile(path.join(tmp, "index.json"), JSON.stringify(manifest, null, 2) + "\n");
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

/** index.json of a saved index (checked; `kind` when given must match). */
export async function readManifest(dir: string, kind?: string): Promise<IndexManifest> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, "index.json"), "utf8");
  } catch (err) {
    throw new Error(`loadIndex: cannot read ${path.join(dir, "index.json")} (${(err as Error).message}); is it a folder written by an index's save()?`);
  }
  const m = JSON.parse(text) as Partial<IndexManifest>;
  if (m.format !== "recsys-lab-index" || m.version !== 1) throw new Error(`loadIndex: ${dir}/index.json is not a recsys-lab index (format ${m.format}, version ${m.version})`);
  if (kind && m.kind !== kind) throw new Error(`loadIndex: ${dir} holds a '${m.kind}' index, not '${kind}'`);
  return m as IndexManifest;
}
