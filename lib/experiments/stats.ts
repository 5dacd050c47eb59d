/**
 * The statistics of a comparison: mean, standard deviation and a 95% interval over seeds (Student's t, since three
 * or five seeds are few), and a paired test over users of a model against a reference (which differences are beyond
 * noise). Pure functions on plain numbers; the Student-t distribution is computed from the regularised incomplete
 * beta function (Numerical Recipes, 3rd ed., 6.4), so no table is needed for any degree of freedom.
 */

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  sd: number;
  /** 95% interval of the mean: mean ± t(0.975, n - 1) sd / sqrt(n); [mean, mean] for one value. */
  low: number;
  high: number;
}

export function summarize(values: readonly number[]): Summary {
  const n = values.length;
  if (!n) throw new Error("summarize: no values");
  for (const v of values) if (!Number.isFinite(v)) throw new Error(`summarize: ${v} is not a finite number`);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = n > 1 ? studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) : 0;
  return { n, mean, sd, low: mean - half, high: mean + half };
}

export interface PairedTest {
  /** Number of pairs (users). */
  n: number;
  /** Mean of (model - reference). */
  meanDifference: number;
  /** 95% interval of the mean difference. */
  low: number;
  high: number;
  /** Paired t statistic and its two-sided p-value (n - 1 degrees of freedom). */
  t: number;
  p: number;
  /** p < alpha (default 0.05): the difference is beyond noise at that level. */
  significant: boolean;
}

/**
 * Paired t-test of per-user values of a model against a reference on the same users (e.g. each user's NDCG@10,
 * averaged over seeds). With hundreds of users the t distribution is close to normal, but the exact one is used.
 */
export function pairedTest(model: ArrayLike<number>, reference: ArrayLike<number>, alpha = 0.05): PairedTest {
  if (model.length !== reference.length) throw new Error(`pairedTest: ${model.length} values against ${reference.length}; pair them by user`);
  const n = model.length;
  if (n < 2) throw new Error(`pairedTest: needs at least 2 pairs, got ${n}`);
  const d = Array.from({ length: n }, (_, i) => model[i]! - reference[i]!);
  const s = summarize(d);
  const se = s.sd / Math.sqrt(n);
  const t = se > 0 ? s.mean / se : s.mean === 0 ? 0 : Math.sign(s.mean) * Infinity;
  const p = Number.isFinite(t) ? 2 * (1 - studentTCdf(Math.abs(t), n - 1)) : 0;
  return { n, meanDifference: s.mean, low: s.low, high: s.high, t, p, significant: p < alpha };
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTCdf: df must be > 0, got ${df}`);
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(df / 2, 0.5, x);
  return t >= 0 ? 1 - tail : tail;
}

/** The q-quantile of Student's t with `df` degrees of freedom (bisection on the cdf; |error| < 1e-10). */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1)) throw new Error(`studentTQuantile: q must be in (0, 1), got ${q}`);
  if (q === 0.5) return 0;
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(a: number, b: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** Lentz's continued fraction for the incomplete beta function. */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 3e-16) break;
  }
  return h;
}

/** ln Gamma(x) for x > 0 (Lanczos approximation, g = 7, n = 9; relative error ~1e-15). */
export function logGamma(x: number): number {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let s = g[0]!;
  for (let i = 1; i < 9; i++) s += g[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}
