/**
 * Named model weights on the active backend, with the bookkeeping training needs: which group a weight belongs
 * to (embedding tables vs dense layers, for separate L2 and dropout settings), deterministic initialisation from
 * the seeded Rng (values are drawn in JavaScript as Float32Array, then uploaded, so the initial weights are the
 * same on every backend), host snapshots (best-weights restore), and disposal.
 *
 * A store owns its tensors: `set` disposes the value it replaces.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../random";
import { pack, unpack } from "./kernels/glue";

/** Embedding tables (and per-row biases looked up with them) vs dense layers (kernels, biases, output layer). */
export type ParamGroup = "embedding" | "dense";

/** How a weight starts. `uniform` draws from [-limit, limit); `normal` from N(0, std^2). */
export type Initializer =
  | { kind: "zeros" }
  | { kind: "constant"; value: number }
  | { kind: "normal"; std: number }
  | { kind: "uniform"; limit: number };

export interface ParamSpec {
  name: string;
  shape: readonly number[];
  group: ParamGroup;
  init: Initializer;
}

/** Host copy of every weight, by name (what `snapshot` returns and `restore` takes). */
export type WeightMap = Map<string, { shape: number[]; values: Float32Array }>;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Values of an initializer, drawn from a stream named after the weight so weights do not depend on each other. */
export function initialValues(spec: ParamSpec, rng: Rng): Float32Array {
  const n = sizeOf(spec.shape);
  const out = new Float32Array(n);
  const init = spec.init;
  const r = rng.derive(`init/${spec.name}`);
  switch (init.kind) {
    case "zeros":
      break;
    case "constant":
      out.fill(init.value);
      break;
    case "normal":
      for (let i = 0; i < n; i++) out[i] = r.normal() * init.std;
      break;
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = (2 * r.next() - 1) * init.limit;
      break;
  }
  return out;
}

/** Weights with fewer values than this are stored (and updated) together as one flat vector. */
export const PACK_LIMIT = 16384;

/**
 * Gradients by weight name. A key may also join several consecutive packed weights with "+" (e.g.
 * "mlp.dense0.kernel+mlp.dense0.bias"): its tensor, flattened, is their gradients flattened one after the other.
 * That lets a backward pass compute a kernel and its bias gradient with one matMul (see ncf.ts).
 */
export type GradMap = Map<string, tf.Tensor>;

export function jointKey(names: readonly string[]): string {
  return names.join("+");
}

/**
 * Large weights (embedding tables) are tensors of their own. Small ones (dense kernels, biases, output layer:
 * fewer than PACK_LIMIT values) live in ONE flat vector, in spec order, so an optimiser updates them all with
 * one set of kernels; `get(name)` gives a view of the right shape (rebuilt once after each update, with one split).
 *
 * A store can also stand over tf.Variables that something else created (the weights of a tf.layers model, see
 * `ParamStore.overVariables`): then nothing is packed, `set` assigns the variable in place, and the store never
 * disposes the variables (their owner does).
 */
export class ParamStore {
  readonly specs: readonly ParamSpec[];
  /** Names of the packed (small) weights, in order, with their offsets in the flat vector. */
  readonly packedNames: readonly string[];
  private readonly offsets = new Map<string, number>();
  private readonly values = new Map<string, tf.Tensor>();
  private readonly byName = new Map<string, ParamSpec>();
  private flat: tf.Tensor1D | null = null;
  private views: Map<string, tf.Tensor> | null = null;
  /** Set when the store stands over variables it does not own. */
  private readonly variables: ReadonlyMap<string, tf.Variable> | null = null;

  /** Creates every weight from its initializer (seeded by `rng`), or from `weights` when given (e.g. on load). */
  constructor(specs: readonly ParamSpec[], rng: Rng, weights?: WeightMap, variables?: ReadonlyMap<string, tf.Variable>) {
    this.specs = specs;
    for (const spec of specs) {
      if (this.byName.has(spec.name)) throw new Error(`ParamStore: duplicate weight name '${spec.name}'`);
      if (spec.name.includes("+")) throw new Error(`ParamStore: weight names may not contain '+', got '${spec.name}'`);
      this.byName.set(spec.name, spec);
    }
    if (variables) {
      this.variables = variables;
      for (const spec of specs) {
        const v = variables.get(spec.name);
        if (!v) throw new Error(`ParamStore: no variable for weight '${spec.name}'`);
        checkShape(spec, v.shape, "variables");
        this.values.set(spec.name, v);
      }
      this.packedNames = [];
      if (weights) this.restore(weights);
      return;
    }
    const packed: string[] = [];
    const host = new Map<string, Float32Array>();
    for (const spec of specs) {
      const given = weights?.get(spec.name);
      if (weights && !given) throw new Error(`ParamStore: weight '${spec.name}' is missing from the given weights`);
      if (given) checkShape(spec, given.shape, "given weights");
      const values = given ? given.values : initialValues(spec, rng);
      if (sizeOf(spec.shape) < PACK_LIMIT) {
        packed.push(spec.name);
        host.set(spec.name, values);
      } else {
        this.values.set(spec.name, tf.tensor(values, [...spec.shape], "float32"));
      }
    }
    this.packedNames = packed;
    let o = 0;
    for (const n of packed) {
      this.offsets.set(n, o);
      o += sizeOf(this.spec(n).shape);
    }
    if (packed.length) {
      const all = new Float32Array(o);
      for (const n of packed) all.set(host.get(n)!, this.offsets.get(n)!);
      this.flat = tf.tensor1d(all);
    }
  }

  get names(): string[] {
    return this.specs.map((s) => s.name);
  }

  spec(name: string): ParamSpec {
    const s = this.byName.get(name);
    if (!s) throw new Error(`ParamStore: no weight named '${name}' (have: ${this.names.join(", ")})`);
    return s;
  }

  isPacked(name: string): boolean {
    return this.offsets.has(name);
  }

  /** Number of values in the packed vector. */
  get packedSize(): number {
    return this.flat ? this.flat.size : 0;
  }

  get(name: string): tf.Tensor {
    if (this.offsets.has(name)) return this.packedViews().get(name)!;
    const t = this.values.get(name);
    if (!t) throw new Error(`ParamStore: no weight named '${name}' (have: ${this.names.join(", ")})`);
    return t;
  }

  private packedViews(): Map<string, tf.Tensor> {
    if (!this.views) {
      const flat = this.flat!;
      const names = this.packedNames;
      const shapes = names.map((n) => [...this.spec(n).shape]);
      const pieces = tf.tidy(() => {
        const fast = unpack(flat, shapes);
        if (fast) return fast;
        const parts = names.length === 1 ? [flat] : tf.split(flat, shapes.map(sizeOf));
        return parts.map((p, i) => tf.reshape(p, shapes[i]!));
      });
      this.views = new Map(names.map((n, i) => [n, tf.keep(pieces[i]!)]));
    }
    return this.views;
  }

  /** The packed small weights as one flat vector (spec order). */
  getPacked(): tf.Tensor1D {
    if (!this.flat) throw new Error("ParamStore: this model has no packed weights");
    return this.flat;
  }

  /** Replace the packed vector (same length); views are rebuilt on the next `get`. */
  setPacked(value: tf.Tensor): void {
    if (!this.flat) throw new Error("ParamStore: this model has no packed weights");
    if (value.rank !== 1 || value.size !== this.flat.size) {
      throw new Error(`ParamStore.setPacked: expected a vector of ${this.flat.size} values, got shape [${value.shape.join(", ")}]`);
    }
    if (value === this.flat) return;
    tf.keep(value);
    this.dropViews();
    this.flat.dispose();
    this.flat = value as tf.Tensor1D;
  }

  private dropViews(): void {
    if (this.views) for (const v of this.views.values()) v.dispose();
    this.views = null;
  }

  /**
   * A store over existing variables (e.g. a tf.layers model's weights), by name. `specs` give each variable's
   * group (for L2) and shape; init is unused. The variables are assigned in place by `set` and never disposed here.
   */
  static overVariables(specs: readonly ParamSpec[], variables: ReadonlyMap<string, tf.Variable>): ParamStore {
    return new ParamStore(specs, new Rng(0), undefined, variables);
  }

  /** Whether this store stands over variables (see overVariables). */
  get isVariableBacked(): boolean {
    return this.variables !== null;
  }

  /** Replace a weight (same shape); the old tensor is disposed and the new one kept out of any tidy scope. */
  set(name: string, value: tf.Tensor): void {
    const spec = this.spec(name);
    checkShape(spec, value.shape, "set");
    const variable = this.variables?.get(name);
    if (variable) {
      // assign shares the new value's data (reference counted), so the value can be disposed right away.
      if (variable !== value) {
        variable.assign(value);
        value.dispose();
      }
      return;
    }
    if (this.offsets.has(name)) {
      const views = this.packedViews();
      const next = tf.tidy(() => tf.concat(this.packedNames.map((n) => tf.reshape(n === name ? value : views.get(n)!, [-1]))));
      this.setPacked(next);
      return;
    }
    const old = this.values.get(name)!;
    if (old === value) return;
    tf.keep(value);
    this.values.set(name, value);
    old.dispose();
  }

  /** Total number of scalar weights. */
  get size(): number {
    return this.specs.reduce((s, p) => s + sizeOf(p.shape), 0);
  }

  /** Host copies of all weights (one read-back per large weight, one for all packed ones). */
  snapshot(): WeightMap {
    const out: WeightMap = new Map();
    const flat = this.flat ? (this.flat.dataSync() as Float32Array) : null;
    for (const spec of this.specs) {
      const o = this.offsets.get(spec.name);
      const values = o !== undefined ? flat!.slice(o, o + sizeOf(spec.shape)) : (this.get(spec.name).dataSync() as Float32Array).slice();
      out.set(spec.name, { shape: [...spec.shape], values });
    }
    return out;
  }

  /** Put back weights from a snapshot (all names, same shapes). */
  restore(weights: WeightMap): void {
    for (const spec of this.specs) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`ParamStore.restore: weight '${spec.name}' is missing`);
      checkShape(spec, w.shape, "restore");
    }
    for (const spec of this.specs) {
      if (!this.offsets.has(spec.name)) this.set(spec.name, tf.tensor(weights.get(spec.name)!.values, [...spec.shape], "float32"));
    }
    if (this.flat) {
      const all = new Float32Array(this.flat.size);
      for (const n of this.packedNames) all.set(weights.get(n)!.values, this.offsets.get(n)!);
      this.setPacked(tf.tensor1d(all));
    }
  }

  /**
   * The flat gradient of the packed weights from a GradMap: for each packed weight in order, its own gradient or
   * a joint entry starting at it. Tensors are created in the caller's tidy scope.
   */
  packedGradient(grads: GradMap): tf.Tensor1D {
    const pieces: tf.Tensor[] = [];
    const names = this.packedNames;
    for (let k = 0; k < names.length; ) {
      const own = grads.get(names[k]!);
      if (own) {
        pieces.push(own);
        k++;
        continue;
      }
      let found = false;
      for (let j = names.length; j > k + 1; j--) {
        const joint = grads.get(jointKey(names.slice(k, j)));
        if (joint) {
          pieces.push(joint);
          k = j;
          found = true;
          break;
        }
      }
      if (!found) throw new Error(`ParamStore.packedGradient: no gradient for weight '${names[k]}'`);
    }
    return pack(pieces) ?? (tf.concat(pieces.map((p) => tf.reshape(p, [-1]))) as tf.Tensor1D);
  }

  /** Gradients of single weights from a GradMap, splitting joint entries (host copies; for tests and inspection). */
  splitGradients(grads: GradMap): WeightMap {
    const out: WeightMap = new Map();
    for (const [key, t] of grads) {
      const names = key.split("+");
      const values = t.dataSync() as Float32Array;
      let o = 0;
      for (const n of names) {
        const shape = [...this.spec(n).shape];
        const size = sizeOf(shape);
        if (o + size > values.length) throw new Error(`ParamStore.splitGradients: joint gradient '${key}' is too short`);
        out.set(n, { shape, values: values.slice(o, o + size) });
        o += size;
      }
      if (o !== values.length) throw new Error(`ParamStore.splitGradients: joint gradient '${key}' has ${values.length} values, expected ${o}`);
    }
    for (const spec of this.specs) if (!out.has(spec.name)) throw new Error(`no gradient for weight '${spec.name}'`);
    return out;
  }

  dispose(): void {
    if (!this.variables) for (const t of this.values.values()) t.dispose();
    this.values.clear();
    this.dropViews();
    this.flat?.dispose();
    this.flat = null;
  }
}

function checkShape(spec: ParamSpec, shape: readonly number[], where: string): void {
  if (shape.length !== spec.shape.length || shape.some((d, i) => d !== spec.shape[i])) {
    throw new Error(`ParamStore (${where}): weight '${spec.name}' has shape [${shape.join(", ")}], expected [${spec.shape.join(", ")}]`);
  }
}

/**
 * Store the gradient of consecutive weights computed as one tensor (e.g. [dW; db] from one product [X | 1]^T dZ):
 * as a joint entry when they sit next to each other in the packed vector (the optimiser then uses it as is), else
 * split into single entries. Runs in the caller's tidy scope.
 */
export function putJointGradient(params: ParamStore, grads: GradMap, names: string[], joint: tf.Tensor): void {
  const packed = params.packedNames;
  const at = packed.indexOf(names[0]!);
  if (at >= 0 && names.every((n, i) => packed[at + i] === n)) {
    grads.set(jointKey(names), joint);
    return;
  }
  const flat = tf.reshape(joint, [-1]);
  const pieces = tf.split(flat, names.map((n) => sizeOf(params.spec(n).shape)));
  names.forEach((n, i) => grads.set(n, tf.reshape(pieces[i]!, [...params.spec(n).shape])));
}
