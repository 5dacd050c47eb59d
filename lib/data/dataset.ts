/** `Dataset`: interactions plus the side features of users and items, aligned with the dense indices. */
import { checkFeatureTable, type FeatureTable } from "./features";
import type { Interactions } from "./interactions";

export interface Dataset {
  /** Registry name ("ml-100k", "synthetic", ...) or the file name for a generic CSV. */
  name: string;
  interactions: Interactions;
  /** Row u describes user index u (absent when the source has no user file). */
  userFeatures?: FeatureTable;
  /** Row i describes item index i. */
  itemFeatures?: FeatureTable;
  /** Where it came from: the folder or file read, or the generator and its options. */
  source: string;
}

/** Checks that side features have one row per user / item of the interactions' index space. */
export function checkDataset(d: Dataset): Dataset {
  if (d.userFeatures) {
    if (d.userFeatures.size !== d.interactions.numUsers) {
      throw new Error(`${d.name}: user features have ${d.userFeatures.size} rows but there are ${d.interactions.numUsers} users`);
    }
    checkFeatureTable(d.userFeatures, "user");
  }
  if (d.itemFeatures) {
    if (d.itemFeatures.size !== d.interactions.numItems) {
      throw new Error(`${d.name}: item features have ${d.itemFeatures.size} rows but there are ${d.interactions.numItems} items`);
    }
    checkFeatureTable(d.itemFeatures, "item");
  }
  return d;
}
