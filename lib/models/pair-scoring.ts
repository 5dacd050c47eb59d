/**
 * Scoring any model that can give logits for (user, item) pairs: score() in chunks of pairs, scoreAll() as a block
 * of users times every item. Factorised models override scoreAll with one matrix product (see MF).
 */
import * as tf from "@tensorflow/tfjs";
import { checkIds } from "./batch";

/** Logits [n] for pairs, built inside the caller's tidy scope (evaluation mode: no dropout). */
export type PairLogits = (users: Int32Array, items: Int32Array) => tf.Tensor;

const CHUNK = 1 << 15;

/** One score per pair, computed in chunks of 32k pairs. */
export async function scorePairs(where: string, logits: PairLogits, users: Int32Array, items: Int32Array, numUsers: number, numItems: number): Promise<Float32Array> {
  if (users.length !== items.length) throw new Error(`${where}: ${users.length} users but ${items.length} items`);
  checkIds(where, "users", users, numUsers);
  checkIds(where, "items", items, numItems);
  const out = new Float32Array(users.length);
  for (let s = 0; s < users.length; s += CHUNK) {
    const e = Math.min(users.length, s + CHUNK);
    const t = tf.tidy(() => tf.reshape(logits(users.subarray(s, e), items.subarray(s, e)), [e - s]));
    out.set((await t.data()) as Float32Array, s);
    t.dispose();
  }
  return out;
}

/** Scores of every item for each user (users.length x numItems, row-major), a few users' pairs at a time. */
export async function scoreAllPairs(where: string, logits: PairLogits, users: Int32Array, numUsers: number, numItems: number): Promise<Float32Array> {
  checkIds(where, "users", users, numUsers);
  const out = new Float32Array(users.length * numItems);
  const usersPerChunk = Math.max(1, Math.floor(CHUNK / numItems));
  const allItems = Int32Array.from({ length: numItems }, (_, i) => i);
  for (let s = 0; s < users.length; s += usersPerChunk) {
    const block = users.subarray(s, Math.min(users.length, s + usersPerChunk));
    const u = new Int32Array(block.length * numItems);
    const i = new Int32Array(block.length * numItems);
    for (let a = 0; a < block.length; a++) {
      u.fill(block[a]!, a * numItems, (a + 1) * numItems);
      i.set(allItems, a * numItems);
    }
    const t = tf.tidy(() => tf.reshape(logits(u, i), [u.length]));
    out.set((await t.data()) as Float32Array, s * numItems);
    t.dispose();
  }
  return out;
}
