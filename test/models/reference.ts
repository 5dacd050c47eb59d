/**
 * Independent float64 references of the models and losses, written from the formulas (not from the library's
 * code), for gradient checks by central finite differences.
 */
import type { WeightMap } from "../../lib/nn/params";

export type Weights64 = Map<string, { shape: number[]; values: Float64Array }>;

export function to64(w: WeightMap): Weights64 {
  const out: Weights64 = new Map();
  for (const [k, v] of w) out.set(k, { shape: [...v.shape], values: Float64Array.from(v.values) });
  return out;
}

export interface RefConfig {
  className: "MF" | "GMF" | "MLP" | "NeuMF";
  numUsers: number;
  biases?: boolean;
  layers?: number[];
}

/** Masks (inverted-dropout factors) applied in the forward pass, by place; absent = no dropout. */
export interface RefMasks {
  /** Per example: the mask on [p_u, q_i] of the MF/GMF embeddings, length 2 * dim. */
  gmf?: Float64Array[];
  /** Per example: mask on the MLP input [p'_u, q'_i]. */
  mlpInput?: Float64Array[];
  /** Per layer, per example: mask on the layer's output. */
  dense?: Float64Array[][];
}

function get(w: Weights64, name: string): Float64Array {
  const v = w.get(name);
  if (!v) throw new Error(`reference: no weight ${name}`);
  return v.values;
}

function row(w: Weights64, name: string, r: number): Float64Array {
  const v = w.get(name)!;
  const d = v.shape[1]!;
  return v.values.subarray(r * d, (r + 1) * d);
}

/** Logit of one (user, item) pair; `e` indexes the example for the masks. */
export function refLogit(cfg: RefConfig, w: Weights64, u: number, i: number, masks: RefMasks = {}, e = 0): number {
  const rowU = u;
  const rowI = cfg.numUsers + i;
  if (cfg.className === "MF") {
    const p = row(w, "mf.factors", rowU);
    const q = row(w, "mf.factors", rowI);
    const m = masks.gmf?.[e];
    const d = p.length;
    let z = 0;
    for (let k = 0; k < d; k++) z += p[k]! * (m ? m[k]! : 1) * q[k]! * (m ? m[d + k]! : 1);
    if (cfg.biases !== false) z += get(w, "mf.bias")[rowU]! + get(w, "mf.bias")[rowI]! + get(w, "mf.globalBias")[0]!;
    return z;
  }
  let z = get(w, "output.bias")[0]!;
  if (cfg.className === "GMF" || cfg.className === "NeuMF") {
    const p = row(w, "gmf.embedding", rowU);
    const q = row(w, "gmf.embedding", rowI);
    const m = masks.gmf?.[e];
    const wg = get(w, "output.gmf");
    const f = p.length;
    for (let k = 0; k < f; k++) z += wg[k]! * p[k]! * (m ? m[k]! : 1) * q[k]! * (m ? m[f + k]! : 1);
  }
  if (cfg.className === "MLP" || cfg.className === "NeuMF") {
    const layers = cfg.layers!;
    const pu = row(w, "mlp.embedding", rowU);
    const qi = row(w, "mlp.embedding", rowI);
    let h = Float64Array.from([...pu, ...qi]);
    const m0 = masks.mlpInput?.[e];
    if (m0) h = h.map((v, k) => v * m0[k]!);
    for (let l = 0; l + 1 < layers.length; l++) {
      const K = get(w, `mlp.dense${l}.kernel`);
      const b = get(w, `mlp.dense${l}.bias`);
      const out = new Float64Array(layers[l + 1]!);
      for (let j = 0; j < out.length; j++) {
        let a = b[j]!;
        for (let k = 0; k < h.length; k++) a += h[k]! * K[k * out.length + j]!;
        out[j] = Math.max(0, a);
      }
      const m = masks.dense?.[l]?.[e];
      h = m ? out.map((v, k) => v * m[k]!) : out;
    }
    const wm = get(w, "output.mlp");
    for (let k = 0; k < h.length; k++) z += wm[k]! * h[k]!;
  }
  return z;
}

const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Mean loss of a batch under the reference model. */
export function refLoss(
  cfg: RefConfig,
  w: Weights64,
  loss: "bce" | "mse" | "bpr",
  batch: { users: Int32Array; items: Int32Array; labels?: Float32Array; negItems?: Int32Array },
  masks: RefMasks = {},
): number {
  const n = batch.users.length;
  let total = 0;
  for (let e = 0; e < n; e++) {
    const z = refLogit(cfg, w, batch.users[e]!, batch.items[e]!, masks, e);
    if (loss === "bce") total += softplus(z) - batch.labels![e]! * z;
    else if (loss === "mse") total += (z - batch.labels![e]!) ** 2;
    else total += softplus(-(z - refLogit(cfg, w, batch.users[e]!, batch.negItems![e]!, masks, n + e)));
  }
  return total / n;
}

/** Central finite differences of refLoss with respect to every weight. */
export function finiteDifferences(
  cfg: RefConfig,
  w: Weights64,
  loss: "bce" | "mse" | "bpr",
  batch: Parameters<typeof refLoss>[3],
  masks: RefMasks = {},
  h = 1e-6,
  /** Check at most this many entries per weight (spread evenly); the others are NaN (skipped by the caller). */
  maxPerWeight = Infinity,
): Weights64 {
  const out: Weights64 = new Map();
  for (const [name, v] of w) {
    const g = new Float64Array(v.values.length).fill(NaN);
    const step = Math.max(1, Math.floor(g.length / maxPerWeight));
    for (let k = 0; k < g.length; k += step) {
      const keep = v.values[k]!;
      v.values[k] = keep + h;
      const up = refLoss(cfg, w, loss, batch, masks);
      v.values[k] = keep - h;
      const down = refLoss(cfg, w, loss, batch, masks);
      v.values[k] = keep;
      g[k] = (up - down) / (2 * h);
    }
    out.set(name, { shape: v.shape, values: g });
  }
  return out;
}
