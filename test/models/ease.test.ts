/**
 * EASE against a brute-force reference on a small random binary matrix: B from a naive Gauss-Jordan inverse,
 * its zero diagonal, the optimality conditions of the constrained least squares, and scores = X B.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend";
import { EASE } from "../../lib/models/ease";
import { Rng } from "../../lib/random";
import { pairs } from "../eval/helpers";
import { assertNear, denseBinary, gaussJordanInverse } from "./dense-reference";

const NU = 15;
const NI = 9;
const LAMBDA = 3;

/** A random 0/1 matrix with about 35% ones, as [user, item] pairs; item 8 never occurs (an empty column). */
function randomPairs(seed: number): [number, number][] {
  const rng = new Rng(seed);
  const list: [number, number][] = [];
  for (let u = 0; u < NU; u++) for (let i = 0; i < NI - 1; i++) if (rng.next() < 0.35) list.push([u, i]);
  return list;
}

const LIST = randomPairs(4);
const X = denseBinary(NU, NI, LIST);
const TRAIN = pairs(NU, NI, LIST);

/** G = X^T X (dense). */
function gram(): Float64Array {
  const g = new Float64Array(NI * NI);
  for (let u = 0; u < NU; u++) for (let i = 0; i < NI; i++) for (let j = 0; j < NI; j++) g[i * NI + j]! += X[u * NI + i]! * X[u * NI + j]!;
  return g;
}

before(async () => {
  await initBackend({ backend: "wasm" });
});

test("EASE: B = I - P diag(1/diag(P)) with P = (X^T X + lambda I)^-1 from a naive Gauss-Jordan inverse", () => {
  const g = gram();
  for (let i = 0; i < NI; i++) g[i * NI + i]! += LAMBDA;
  const p = gaussJordanInverse(g, NI);
  const expected = new Float64Array(NI * NI);
  for (let i = 0; i < NI; i++) for (let j = 0; j < NI; j++) expected[i * NI + j] = (i === j ? 1 : 0) - p[i * NI + j]! / p[j * NI + j]!;
  for (const kernel of ["wasm", "js"] as const) {
    const model = new EASE(TRAIN, { lambda: LAMBDA, kernel });
    assertNear(model.weights, expected, 1e-6, `B (${kernel})`);
    for (let i = 0; i < NI; i++) assert.equal(model.weights[i * NI + i], 0, `diag(B)[${i}]`);
    // The empty item 8 neither gives nor receives weight.
    for (let j = 0; j < NI; j++) assert.equal(model.weights[8 * NI + j], 0);
  }
});

test("EASE's B satisfies the optimality conditions of min ||X - XB||^2 + lambda ||B||^2 s.t. diag(B) = 0", () => {
  // Stationarity of the Lagrangian: (X^T X + lambda I) B - X^T X = -diag(mu), i.e. zero off the diagonal.
  const model = new EASE(TRAIN, { lambda: LAMBDA });
  const g = gram();
  for (let i = 0; i < NI; i++) {
    for (let j = 0; j < NI; j++) {
      if (i === j) continue;
      let s = LAMBDA * model.weights[i * NI + j]! - g[i * NI + j]!;
      for (let k = 0; k < NI; k++) s += g[i * NI + k]! * model.weights[k * NI + j]!;
      assert.ok(Math.abs(s) < 1e-5, `gradient (${i}, ${j}) = ${s}`);
    }
  }
});

test("EASE scores are X B: scoreAll (one matrix product per block) and score (pairs) against a dense product", async () => {
  const model = new EASE(TRAIN, { lambda: LAMBDA });
  const users = Int32Array.from({ length: NU }, (_, u) => NU - 1 - u); // any order
  const expected = new Float64Array(NU * NI);
  users.forEach((u, b) => {
    for (let i = 0; i < NI; i++) for (let j = 0; j < NI; j++) expected[b * NI + i]! += X[u * NI + j]! * model.weights[j * NI + i]!;
  });
  assertNear(await model.scoreAll(users), expected, 1e-5, "scoreAll");
  const pu = Int32Array.from([0, 3, 3, 14]);
  const pi = Int32Array.from([5, 0, 8, 2]);
  assertNear(await model.score(pu, pi), Array.from(pu, (u, k) => expected[(NU - 1 - u) * NI + pi[k]!]!), 1e-5, "score");
  model.dispose();
  assertNear(await model.scoreAll(users), expected, 1e-5, "scoreAll after dispose (the backend copy is rebuilt)");
  model.dispose();
});

test("EASE checks its options: lambda > 0, known names", () => {
  assert.throws(() => new EASE(TRAIN, { lambda: 0 }), /EASE: lambda must be > 0, got 0: X\^T X alone is singular .*pass e\.g\. lambda: 500/);
  assert.throws(() => new EASE(TRAIN, { lambda: -1 }), /EASE: lambda must be a finite number >= 0, got -1/);
  assert.throws(() => new EASE(TRAIN, { lamda: 500 } as never), /EASE: unknown option 'lamda'. Valid: lambda, kernel/);
  assert.equal(new EASE(TRAIN).config.lambda, 500);
});
