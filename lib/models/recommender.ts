/**
 * The contract between models and everything that consumes them (evaluation, retrieval, experiments).
 *
 * Scores are "higher is better" and only their order matters for ranking metrics. Evaluation asks for whole rows
 * (`scoreAll`, one call per block of users) so that a model can answer with one matrix product; models whose score
 * is a dot product also expose `factors()` so that evaluation and retrieval can use the vectors directly.
 */

/** Row-major factor matrices such that score(u, i) = dot(users[u], items[i]) + (itemBias?.[i] ?? 0) + constant. */
export interface Factors {
  /** numUsers x dim, row-major. */
  users: Float32Array;
  /** numItems x dim, row-major. */
  items: Float32Array;
  dim: number;
  /** Optional per-item additive term (e.g. MF's item bias); user bias and global bias do not change rankings. */
  itemBias?: Float32Array;
}

export interface Recommender {
  /** Short display name, e.g. "MF", "NeuMF", "MostPopular". */
  readonly name: string;
  readonly numUsers: number;
  readonly numItems: number;
  /** One score per pair (users[i], items[i]). */
  score(users: Int32Array, items: Int32Array): Promise<Float32Array>;
  /** Scores of every item for each user: users.length x numItems, row-major. */
  scoreAll(users: Int32Array): Promise<Float32Array>;
  /** For dot-product models: the factor matrices behind `scoreAll`. */
  factors?(): Factors;
}
