/**
 * The checks of `recsys-lab train`'s options that need nothing but the options. Kept beside train.ts rather than in
 * it so that adding an option to the command and adding its check are separate, small edits.
 */
import { type ParsedOptions, UsageError, checkNumber, getString } from "./args";

/**
 * Every check the options allow on their own, run before the backend starts or the dataset loads (which may mean a
 * download): a wrong value must fail at once, not after minutes. Checks that depend on the chosen model are in
 * train.ts's modelOptionsFrom, which also runs before the backend starts.
 */
export function checkTrainOptions(o: ParsedOptions): void {
  const loss = getString(o, "loss", getString(o, "model") === "two-tower" ? "softmax" : "bce");
  for (const name of ["epochs", "batch", "k", "patience", "sampled-negatives", "factors", "dim", "history-length"]) checkNumber(o, "train", name, (v) => v >= 1, "at least 1");
  checkNumber(o, "train", "temperature", (v) => v > 0, "greater than 0");
  if (o.has("negatives") && loss !== "bce") throw new UsageError(`train: --negatives applies to --loss bce only (got --loss ${loss})`);
  checkNumber(o, "train", "negatives", (v) => v >= 1, "at least 1 with --loss bce", "a model trained without negatives learns to say yes to everything; the default is 4");
  checkNumber(o, "train", "lr", (v) => v > 0, "greater than 0");
  for (const name of ["dropout", "embedding-dropout", "dense-dropout"]) checkNumber(o, "train", name, (v) => v >= 0 && v < 1, "in [0, 1)", "it is the share of units dropped, and 1 would drop them all");
  for (const name of ["l2", "embedding-l2", "dense-l2", "weight-decay"]) checkNumber(o, "train", name, (v) => v >= 0, "at least 0");
  if (o.has("weight-decay") && getString(o, "optimizer") !== "adamw") {
    throw new UsageError("train: --weight-decay (decoupled) applies to --optimizer adamw; for coupled L2 use --l2, --embedding-l2 or --dense-l2");
  }
  const workers = getString(o, "workers");
  if (workers !== undefined) {
    if (workers !== "auto" && !/^[1-9]\d*$/.test(workers)) throw new UsageError(`train: --workers must be a positive integer or 'auto', got '${workers}'`);
    if (loss === "softmax" && workers !== "1") {
      throw new UsageError(`train: --workers ${workers} cannot split the in-batch softmax (--loss softmax): each example's loss depends on the whole batch; leave --workers out or use --loss bce`);
    }
  }
  if (loss === "mse" && getString(o, "dataset") === "csv" && !o.has("rating-column")) {
    throw new UsageError("train: --loss mse trains on ratings; give --rating-column, or use --loss bce or bpr");
  }
}
