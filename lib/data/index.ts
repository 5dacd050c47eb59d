/** The data layer: what lib/index.ts re-exports. */
export { Interactions } from "./interactions";
export type { InteractionsInit, UserItemCsr } from "./interactions";
export { checkDataset } from "./dataset";
export type { Dataset } from "./dataset";
export {
  MISSING,
  checkFeatureTable,
  columnSize,
  describeFeatures,
  multiHot,
  oneHot,
  titleTokens,
  titleYear,
} from "./features";
export type { CategoricalFeature, FeatureColumn, FeatureSummary, FeatureTable, NumericFeature, SetFeature, TextFeature } from "./features";
export { loadDataset } from "./load";
export type { LoadDatasetOptions } from "./load";
export { DEFAULT_CACHE_DIR, REGISTRY_FILE, datasetNames, datasetRegistry, downloadUrls, registryEntry, resolveDataDir } from "./registry";
export type { RegistryEntry } from "./registry";
export { ML100K_GENRES, ML1M_OCCUPATIONS, RATINGS_FILE, RATING_SCALES, readMovieLens } from "./movielens";
export type { MovieLensFormat } from "./movielens";
export { loadCsv, readInteractions } from "./csv";
export type { ColumnSpec, CsvOptions, RatingScale, ReadInteractionsOptions, ReadInteractionsResult } from "./csv";
export { DataFileError, detectDelimiter, readDelimited } from "./parse";
export type { DelimitedOptions, Row } from "./parse";
export { DownloadError, downloadDataset, stderrProgress } from "./download";
export type { DownloadOptions, ProgressReporter } from "./download";
export { extractZip, listZip } from "./zip";
export { SYNTHETIC_DEFAULTS, SYNTHETIC_GENRES, SYNTHETIC_OCCUPATIONS, generateSynthetic } from "./synthetic";
export type { SyntheticDataset, SyntheticOptions, SyntheticParams, SyntheticTruth } from "./synthetic";
export { carveValidation, globalTimeSplit, leaveOneOut, ratioSplit, rowsByUser } from "./splits";
export type { DuplicateOptions, LeaveOneOutOptions, RatioSplitOptions, Split, TimeSplitOptions, ValidationOptions } from "./splits";
export { AliasTable, NegativeSampler, sampledCandidates } from "./sampling";
export type { NegativeSamplerOptions, SampledCandidatesOptions } from "./sampling";
export { batches, epochBatches, numBatches, trainingExamples } from "./batches";
export type { Batch, BatchOptions, ExamplesOptions } from "./batches";
export { datasetStats, distribution } from "./stats";
export type { DatasetStats, Distribution } from "./stats";
export { writeDatasetCsv } from "./snapshot";
export { historyBefore, userSequences } from "./sequences";
export type { UserSequences } from "./sequences";
