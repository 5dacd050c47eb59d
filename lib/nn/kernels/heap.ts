/**
 * What the JavaScript "heap" kernels (glue.ts, tower.ts) share: the few members of the wasm backend they use, the
 * float index of a tensor in its heap, and the registration of a kernel that runs on that heap.
 */
import * as tf from "@tensorflow/tfjs";

export interface HeapBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
}

export type HeapInputs = Record<string, tf.TensorInfo>;

/** Float index of a tensor in HEAPF32 (read HEAPF32 only after all outputs are allocated: allocation can grow it). */
export const heapIndex = (b: HeapBackend, t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset >>> 2;

/** Register a kernel for the wasm backend whose body works on the backend's heap. */
export function registerHeapKernel(
  kernelName: string,
  kernelFunc: (b: HeapBackend, inputs: HeapInputs, attrs: Record<string, unknown>) => tf.TensorInfo | tf.TensorInfo[],
): void {
  tf.registerKernel({
    kernelName,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => kernelFunc(backend as unknown as HeapBackend, inputs as HeapInputs, (attrs ?? {}) as Record<string, unknown>),
  });
}

/** True on the wasm backend when its heap is reachable (the heap kernels can run). */
export function heapAvailable(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  const b = tf.backend() as unknown as Partial<HeapBackend>;
  return Boolean(b.wasm?.HEAPF32 && b.dataIdMap && b.makeOutput);
}
