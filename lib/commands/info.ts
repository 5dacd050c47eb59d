import * as os from "os";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../backend";
import { loadFaiss } from "../retrieval/faiss-loader";
import { VERSION } from "../version";
import { type OptionSpec, parseArgs, printJson } from "./args";

export const summary = "Print the package version, the TensorFlow.js backend and why, whether FAISS loads, and the CPU count as JSON.";
export const options: OptionSpec[] = [{ name: "backend", help: "backend to start: auto, tensorflow, wasm or cpu (default: RECSYS_BACKEND or auto)" }];

export async function run(argv: string[]): Promise<void> {
  const { options: o } = parseArgs(argv, options, "info");
  const backend = await initBackend({ backend: o.get("backend") as string | undefined });
  const faiss = loadFaiss();
  printJson({
    package: "recsys-lab",
    version: VERSION,
    backend: backend.backend,
    backendRequested: backend.requested,
    backendsUnavailable: backend.unavailable,
    tfjsVersion: tf.version_core,
    wasmSimd: backend.backend === "wasm" ? tf.env().getBool("WASM_HAS_SIMD_SUPPORT") : undefined,
    faiss: faiss.module !== null,
    faissStatus: faiss.reason,
    cpus: os.cpus().length,
    node: process.version,
  });
}
