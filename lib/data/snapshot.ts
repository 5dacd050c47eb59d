/**
 * Writing a dataset as plain CSV files (ratings.csv, users.csv, items.csv), e.g. the committed snapshot of the
 * synthetic world under datasets/synthetic/. Set features are joined with '|'; text is quoted when needed. The
 * output is a pure function of the dataset, so a snapshot can be compared byte for byte with a fresh generation.
 */
import * as fs from "fs";
import * as path from "path";
import type { Dataset } from "./dataset";
import type { FeatureTable } from "./features";

export function writeDatasetCsv(d: Dataset, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const x = d.interactions;
  const header = ["userId", "itemId", ...(x.ratings ? ["rating"] : []), ...(x.timestamps ? ["timestamp"] : [])];
  const lines = [header.join(",")];
  for (let r = 0; r < x.length; r++) {
    const f = [csvField(x.userIds[x.users[r]!]!), csvField(x.itemIds[x.items[r]!]!)];
    if (x.ratings) f.push(String(x.ratings[r]));
    if (x.timestamps) f.push(String(x.timestamps[r]));
    lines.push(f.join(","));
  }
  const written = [write(dir, "ratings.csv", lines)];
  if (d.userFeatures) written.push(write(dir, "users.csv", tableLines("userId", x.userIds, d.userFeatures)));
  if (d.itemFeatures) written.push(write(dir, "items.csv", tableLines("itemId", x.itemIds, d.itemFeatures)));
  return written;
}

function tableLines(idColumn: string, ids: readonly string[], table: FeatureTable): string[] {
  const names = Object.keys(table.columns);
  const lines = [[idColumn, ...names].join(",")];
  for (let r = 0; r < table.size; r++) {
    const f = [csvField(ids[r]!)];
    for (const name of names) {
      const c = table.columns[name]!;
      switch (c.kind) {
        case "numeric":
          f.push(Number.isNaN(c.values[r]!) ? "" : String(c.values[r]));
          break;
        case "categorical":
          f.push(csvField(c.vocabulary[c.codes[r]!]!));
          break;
        case "set":
          f.push(csvField(Array.from(c.indices.subarray(c.indptr[r]!, c.indptr[r + 1]!), (k) => c.vocabulary[k]!).join("|")));
          break;
        case "text":
          f.push(csvField(c.values[r]!));
          break;
      }
    }
    lines.push(f.join(","));
  }
  return lines;
}

function write(dir: string, name: string, lines: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
