/** Summary intervals and the paired test on data where the answer is known (values from R / SciPy, quoted). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { logGamma, pairedTest, studentTCdf, studentTQuantile, summarize } from "../../lib/experiments/stats";

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

test("Student-t quantiles and cdf match published values", () => {
  // qt(0.975, df) in R: 12.7062, 4.302653, 2.776445, 2.228139, 1.983972 (df 100).
  for (const [df, q] of [[1, 12.706205], [2, 4.302653], [4, 2.776445], [10, 2.228139], [100, 1.983972]] as const) {
    assert.ok(close(studentTQuantile(0.975, df), q, 1e-6), `t(0.975, ${df}) = ${studentTQuantile(0.975, df)}, expected ${q}`);
  }
  // pt(2, 10) = 0.9633062; pt(-1.5, 3) = 0.1152919.
  assert.ok(close(studentTCdf(2, 10), 0.9633062, 1e-6));
  assert.ok(close(studentTCdf(-1.5, 3), 0.1152919, 1e-6));
  assert.ok(close(logGamma(5), Math.log(24), 1e-12));
  assert.ok(close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12));
});

test("summarize: mean, sample sd and the 95% t interval, worked by hand", () => {
  // 1, 2, 3, 4: mean 2.5, sd sqrt(5/3) = 1.2909944; half width 3.182446 * 1.2909944 / 2 = 2.0542603.
  const s = summarize([1, 2, 3, 4]);
  assert.equal(s.mean, 2.5);
  assert.ok(close(s.sd, 1.2909944, 1e-7));
  assert.ok(close(s.low, 2.5 - 2.0542603, 1e-6) && close(s.high, 2.5 + 2.0542603, 1e-6));
  assert.deepEqual(summarize([0.3]), { n: 1, mean: 0.3, sd: 0, low: 0.3, high: 0.3 });
  assert.throws(() => summarize([]), /no values/);
  assert.throws(() => summarize([1, NaN]), /NaN is not a finite number/);
});

test("pairedTest: known t and p, a real difference found and no difference not found", () => {
  // Differences 1, 2, 3, 4, 5: mean 3, sd 1.5811388, se 0.7071068, t = 4.2426407, df 4, p = 0.01324 (t.test paired).
  const r = pairedTest([2, 4, 6, 8, 10], [1, 2, 3, 4, 5]);
  assert.ok(close(r.t, 4.2426407, 1e-6));
  assert.ok(close(r.p, 0.01324, 1e-3));
  assert.ok(r.significant);
  // A model that is the reference plus zero-mean noise: not significant; a constant lift on noisy values is.
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const base = Array.from({ length: 400 }, () => 0.3 + rand() * 0.2);
  const same = base.map((v) => v + rand() * 0.01);
  assert.ok(!pairedTest(same, base).significant, "noise is not a difference");
  const better = base.map((v) => v + 0.01 + rand() * 0.01);
  const b = pairedTest(better, base);
  assert.ok(b.significant && b.low > 0 && b.meanDifference > 0.009);
  assert.throws(() => pairedTest([1, 2], [1]), /2 values against 1/);
});
