export { DataParallel, liveWorkerThreads, type DataParallelOptions, type ParallelStats, type ReplicaTiming } from "./replicas";
export { AUTO_MIN_BATCH, checkWorkers, workersFor, type WorkersOption } from "./workers-option";
