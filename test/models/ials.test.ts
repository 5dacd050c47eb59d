/**
 * iALS against brute force on a small problem: the objective summed over every (user, item) pair, each half-step
 * never increasing it, the closed-form row solve equal to naively solved normal equations, the SIMD and JavaScript
 * kernels agreeing, and seeded determinism.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { IALS, type IALSOptions } from "../../lib/models/ials";
import { Rng } from "../../lib/random";
import { pairs } from "../eval/helpers";
import { assertNear, denseBinary, naiveSolve } from "./dense-reference";

const NU = 11;
const NI = 14;
const OPTIONS: IALSOptions = { factors: 5, l2: 0.05, unobservedWeight: 0.4, frequencyScaling: 1, initScale: 1, seed: 3 };

function randomPairs(seed: number): [number, number][] {
  const rng = new Rng(seed);
  const list: [number, number][] = [];
  for (let u = 0; u < NU; u++) for (let i = 0; i < NI; i++) if (rng.next() < 0.3 || i === u) list.push([u, i]);
  return list;
}

const LIST = randomPairs(8);
const X = denseBinary(NU, NI, LIST);
const TRAIN = pairs(NU, NI, LIST);
const userCount = (u: number) => X.subarray(u * NI, (u + 1) * NI).reduce((a, b) => a + b, 0);
const itemCount = (i: number) => Array.from({ length: NU }, (_, u) => X[u * NI + i]!).reduce((a, b) => a + b, 0);

/** L(W, H) summed pair by pair: x (y - 1)^2 + alpha0 y^2 over all pairs, plus lambda (n + alpha0 m)^nu ||row||^2. */
function bruteObjective(m: IALS): number {
  const d = m.config.factors;
  const { l2, unobservedWeight: a0, frequencyScaling: nu } = m.config;
  const W = m.userFactors;
  const H = m.itemFactors;
  let loss = 0;
  for (let u = 0; u < NU; u++) {
    for (let i = 0; i < NI; i++) {
      let y = 0;
      for (let k = 0; k < d; k++) y += W[u * d + k]! * H[i * d + k]!;
      loss += X[u * NI + i]! * (y - 1) ** 2 + a0 * y * y;
    }
  }
  const sq = (F: Float64Array, r: number) => F.subarray(r * d, (r + 1) * d).reduce((s, v) => s + v * v, 0);
  for (let u = 0; u < NU; u++) loss += l2 * (userCount(u) + a0 * NI) ** nu * sq(W, u);
  for (let i = 0; i < NI; i++) loss += l2 * (itemCount(i) + a0 * NU) ** nu * sq(H, i);
  return loss;
}

test("iALS objective() equals the pair-by-pair brute-force loss, and every half-step decreases it", async () => {
  const m = new IALS(TRAIN, OPTIONS);
  let last = bruteObjective(m);
  assertNear([m.objective().total], [last], 1e-10, "objective at initialisation");
  for (let sweep = 0; sweep < 5; sweep++) {
    for (const half of ["users", "items"] as const) {
      if (half === "users") m.updateUsers();
      else m.updateItems();
      const now = bruteObjective(m);
      assertNear([m.objective().total], [now], 1e-10, `objective after sweep ${sweep} ${half}`);
      assert.ok(now <= last + 1e-9 * Math.abs(last), `sweep ${sweep}, ${half} half-step: ${last} -> ${now}`);
      if (sweep === 0) assert.ok(now < last * 0.999, `the first ${half} half-step should make clear progress: ${last} -> ${now}`);
      last = now;
    }
  }
});

test("iALS's closed-form solve equals the minimiser from naively solved normal equations, on both sides", () => {
  const m = new IALS(TRAIN, OPTIONS);
  const d = OPTIONS.factors!;
  const a0 = OPTIONS.unobservedWeight!;
  // Brute force for row r of the target side: sum over EVERY column c (observed or not) of
  // weight_rc f_c f_c^T with weight = x_rc + alpha0, plus lambda_r I; right-hand side sum_c x_rc f_c.
  const expectRows = (side: "users" | "items", other: Float64Array) => {
    const rows = side === "users" ? NU : NI;
    const cols = side === "users" ? NI : NU;
    const out = new Float64Array(rows * d);
    for (let r = 0; r < rows; r++) {
      const a = new Float64Array(d * d);
      const b = new Float64Array(d);
      let n = 0;
      for (let c = 0; c < cols; c++) {
        const x = side === "users" ? X[r * NI + c]! : X[c * NI + r]!;
        n += x;
        for (let k = 0; k < d; k++) {
          b[k]! += x * other[c * d + k]!;
          for (let l = 0; l < d; l++) a[k * d + l]! += (x + a0) * other[c * d + k]! * other[c * d + l]!;
        }
      }
      for (let k = 0; k < d; k++) a[k * d + k]! += m.l2Weight(n, cols);
      out.set(naiveSolve(a, d, b), r * d);
    }
    return out;
  };
  const users = expectRows("users", m.itemFactors);
  m.updateUsers();
  assertNear(m.userFactors, users, 1e-9, "user factors");
  const items = expectRows("items", m.userFactors);
  m.updateItems();
  assertNear(m.itemFactors, items, 1e-9, "item factors");
  // And it is the minimum over the side just solved: nudging one item's vector either way along each axis raises
  // the objective.
  const base = m.objective().total;
  for (let k = 0; k < d; k++) {
    for (const step of [1e-3, -1e-3]) {
      m.itemFactors[2 * d + k]! += step;
      assert.ok(m.objective().total > base, `moving h_2[${k}] by ${step} should raise the loss`);
      m.itemFactors[2 * d + k]! -= step;
    }
  }
});

test("iALS: the WebAssembly and JavaScript kernels give the same factors; factors() and score agree", async () => {
  const a = new IALS(TRAIN, { ...OPTIONS, factors: 10, kernel: "wasm" });
  const b = new IALS(TRAIN, { ...OPTIONS, factors: 10, kernel: "js" });
  await a.fit({ iterations: 3 });
  await b.fit({ iterations: 3 });
  assertNear(a.userFactors, b.userFactors, 1e-10, "W");
  assertNear(a.itemFactors, b.itemFactors, 1e-10, "H");
  const f = a.factors();
  assert.equal(f.dim, 10);
  const scores = await a.score(Int32Array.from([4, 0]), Int32Array.from([7, 13]));
  const dotF = (u: number, i: number) => f.users.subarray(u * 10, u * 10 + 10).reduce((s, v, k) => s + v * f.items[i * 10 + k]!, 0);
  assertNear(scores, [dotF(4, 7), dotF(0, 13)], 1e-5, "score vs factors");
  const all = await a.scoreAll(Int32Array.from([4]));
  assertNear([all[7]!, all[13]!], [scores[0]!, dotF(4, 13)], 1e-5, "scoreAll vs score");
});

test("iALS: fit reports the objective every sweep (non-increasing), is deterministic per seed, and continues", async () => {
  const seen: number[] = [];
  const a = new IALS(TRAIN, { ...OPTIONS, iterations: 4 });
  const history = await a.fit({ onIteration: (it) => void seen.push(it.iteration) });
  assert.deepEqual(seen, [1, 2, 3, 4]);
  for (let t = 1; t < history.length; t++) assert.ok(history[t]!.total <= history[t - 1]!.total + 1e-9);
  for (const h of history) assertNear([h.observed + h.unobserved + h.regularization], [h.total], 1e-12, "parts");
  const b = new IALS(TRAIN, { ...OPTIONS, iterations: 4 });
  await b.fit({ iterations: 2 });
  await b.fit({ iterations: 2 });
  assert.equal(b.iterationsTrained, 4);
  assert.deepEqual(b.userFactors, a.userFactors, "2 + 2 sweeps = 4 sweeps, same seed");
  const c = new IALS(TRAIN, { ...OPTIONS, seed: 4 });
  assert.notDeepEqual(c.itemFactors, new IALS(TRAIN, OPTIONS).itemFactors, "another seed starts elsewhere");
  // Rendle et al.'s initialisation: N(0, sigma^2 / d).
  const big = new IALS(pairs(400, 300, [[0, 0]]), { factors: 16, seed: 1 });
  const v = big.itemFactors;
  const sd = Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
  assert.ok(Math.abs(sd - 0.1 / 4) < 0.001, `init std ${sd}, expected 0.1 / sqrt(16) = 0.025`);
});

test("iALS: users and items without interactions get zero vectors, even with alpha0 = 0", async () => {
  // User 2 and item 3 have no interactions in a 3 x 4 space.
  const train = pairs(3, 4, [[0, 0], [0, 1], [1, 1], [1, 2]]);
  for (const unobservedWeight of [0, 0.5]) {
    const m = new IALS(train, { factors: 2, l2: 0.1, unobservedWeight, seed: 1 });
    await m.fit({ iterations: 2 });
    assert.deepEqual(Array.from(m.userFactors.subarray(4, 6)), [0, 0]);
    assert.deepEqual(Array.from(m.itemFactors.subarray(6, 8)), [0, 0]);
    assert.ok(Number.isFinite(m.objective().total));
  }
});

test("iALS checks its options, with the fix in the message", () => {
  assert.throws(() => new IALS(TRAIN, { alpha: 40 } as never), /IALS: unknown option 'alpha'. Hu et al.'s confidence .* unobservedWeight = 1 \/ alpha/);
  assert.throws(() => new IALS(TRAIN, { factor: 8 } as never), /IALS: unknown option 'factor'. Valid: factors, iterations, l2/);
  assert.throws(() => new IALS(TRAIN, { factors: 0 }), /IALS: factors must be a positive integer, got 0; pass the latent dimension/);
  assert.throws(() => new IALS(TRAIN, { l2: -1 }), /IALS: l2 must be a finite number >= 0, got -1/);
  assert.throws(() => new IALS(TRAIN, { l2: 0, unobservedWeight: 0 }), /l2 and unobservedWeight are both 0.*pass l2 > 0/);
  assert.throws(() => new IALS(TRAIN, { iterations: 1.5 }), /IALS: iterations must be an integer >= 0, got 1.5/);
  assert.deepEqual(new IALS(TRAIN).config, {
    factors: 64, iterations: 16, l2: 0.007, frequencyScaling: 1, unobservedWeight: 0.3, initScale: 0.1, seed: 0, kernel: "auto",
  }); // prettier-ignore
});
