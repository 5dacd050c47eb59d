/**
 * Chooses the TensorFlow.js backend: native `tensorflow` (from @tensorflow/tfjs-node) when it loads, else
 * `wasm` (@tensorflow/tfjs-backend-wasm, ships its own .wasm files), else the pure-JS `cpu` backend.
 *
 * The environment variable `RECSYS_BACKEND` (or the `backend` option) forces one; a forced backend that cannot
 * start is an error, never a silent fallback, so a benchmark always measures what it says it measures.
 */
import * as tf from "@tensorflow/tfjs";

export type BackendName = "tensorflow" | "wasm" | "cpu";
export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

const ALIASES: Record<string, BackendName> = {
  tensorflow: "tensorflow",
  node: "tensorflow",
  "tfjs-node": "tensorflow",
  native: "tensorflow",
  wasm: "wasm",
  cpu: "cpu",
};

export interface BackendInfo {
  /** The backend now active in `tf`. */
  backend: BackendName;
  /** What was asked for: `auto` picks the best one that starts. */
  requested: BackendName | "auto";
  /** Why each better backend was not used (only filled for backends tried before the active one). */
  unavailable: Partial<Record<BackendName, string>>;
}

export interface InitBackendOptions {
  /** Backend name or `auto`. Default: `RECSYS_BACKEND` from the environment, else `auto`. */
  backend?: string;
  /** Print the choice (and why better backends were skipped) to stderr. Default: false. */
  verbose?: boolean;
}

let active: Promise<BackendInfo> | undefined;
let activeRequest: string | undefined;

/** Parse a backend name or alias; throws an error listing the valid names. */
export function parseBackendName(name: string, source = "backend"): BackendName | "auto" {
  const key = name.trim().toLowerCase();
  if (key === "" || key === "auto") return "auto";
  const found = ALIASES[key];
  if (!found) {
    throw new Error(`${source}: unknown backend '${name}'. Valid: auto, ${BACKEND_ORDER.join(", ")} (aliases: node, tfjs-node).`);
  }
  return found;
}

/**
 * Start a backend once per process and report which one runs. Later calls with the same request return the
 * same result; a different explicit request switches backend.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const source = options.backend !== undefined ? "backend option" : "RECSYS_BACKEND";
  const raw = options.backend ?? process.env.RECSYS_BACKEND ?? "auto";
  if (active && activeRequest === raw) return active;
  activeRequest = raw;
  active = start(parseBackendName(raw, source)).then((info) => {
    if (options.verbose) process.stderr.write(describeBackend(info) + "\n");
    return info;
  });
  // A failed start must not poison later attempts with another request.
  active.catch(() => {
    active = undefined;
    activeRequest = undefined;
  });
  return active;
}

/** One human sentence: which backend runs and why the better ones do not. */
export function describeBackend(info: BackendInfo): string {
  const skipped = Object.entries(info.unavailable).map(([name, why]) => `${name}: ${why}`);
  const head = `TensorFlow.js backend: ${info.backend}${info.requested === "auto" ? "" : " (requested)"}`;
  return skipped.length ? `${head}; not used: ${skipped.join("; ")}` : head;
}

async function start(requested: BackendName | "auto"): Promise<BackendInfo> {
  const candidates = requested === "auto" ? BACKEND_ORDER : [requested];
  const unavailable: Partial<Record<BackendName, string>> = {};
  for (const name of candidates) {
    const why = await tryBackend(name);
    if (why === null) return { backend: name, requested, unavailable };
    if (requested !== "auto") {
      throw new Error(`Backend '${name}' was requested (RECSYS_BACKEND or the backend option) but cannot start: ${why}`);
    }
    unavailable[name] = why;
  }
  throw new Error(`No TensorFlow.js backend could start: ${JSON.stringify(unavailable)}`);
}

/** Returns null when the backend is now active, else the reason it is not. */
async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    if (name === "tensorflow") {
      if (tf.findBackend("tensorflow") === null) {
        // Registers the native backend with the same tfjs-core instance (npm dedupes @tensorflow/tfjs-core).
        require("@tensorflow/tfjs-node");
      }
    } else if (name === "wasm") {
      require("@tensorflow/tfjs-backend-wasm");
    }
  } catch (err) {
    return notLoadable(name, err);
  }
  if (tf.findBackendFactory(name) === null && tf.findBackend(name) === null) {
    return `the ${name} backend did not register with @tensorflow/tfjs-core (version mismatch?)`;
  }
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') failed to initialise`;
    // The cpu backend prints a banner advertising tfjs-node on first use; describeBackend already says why.
    if (name === "cpu") (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return null;
  } catch (err) {
    return `tf.setBackend('${name}') threw: ${(err as Error).message}`;
  }
}

function notLoadable(name: BackendName, err: unknown): string {
  const msg = (err as Error).message ?? String(err);
  if (name === "tensorflow") {
    if (/Cannot find module '@tensorflow\/tfjs-node'/.test(msg)) {
      return "@tensorflow/tfjs-node is not installed (optional; its install downloads libtensorflow, see README 'Backends')";
    }
    return `@tensorflow/tfjs-node is installed but does not load (${firstLine(msg)}); reinstall it with internet access`;
  }
  return `${name} backend does not load: ${firstLine(msg)}`;
}

function firstLine(s: string): string {
  return s.split("\n")[0]!;
}

/** The TensorFlow.js version in use (tfjs-core). */
export function tfVersion(): string {
  return tf.version_core;
}
