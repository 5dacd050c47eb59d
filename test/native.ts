/** Whether the optional native backend (@tensorflow/tfjs-node) loads on this machine: tests expect it then. */
export function nativeBackendLoads(): boolean {
  try {
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}
