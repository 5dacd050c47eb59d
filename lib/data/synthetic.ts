/**
 * "synthetic": a MovieLens-shaped world generated from a seed, with a known ground truth. It is the default dataset
 * of tests and offline notebooks, and the one place where the best achievable ranking is known.
 *
 * The world
 *   users: age (15..70, skewed young), gender (F/M, carries no signal), occupation (12 names, skewed);
 *   items: 1-3 genres (18 MovieLens names), a year (1931..2020, skewed recent), a title of 1-3 words drawn from
 *          words tied to the primary genre (so title tokens carry genre signal) plus "(year)", and a popularity
 *          weight w_i = (1 + r_i)^-popularity for a random popularity rank r_i (power law).
 *
 * The ground truth (all parts standardised to mean 0, variance 1 over user-item pairs; m = nonlinearity)
 *   linear(u,i)    = p_u . q_i / sqrt(rank), p_u ~ N(0, I), q_i = (c_{primary genre of i} + z_i) / sqrt(2),
 *                    with c_g, z_i ~ N(0, I): a rank-`rank` dot product, what matrix factorisation can represent.
 *   nonlinear(u,i) = (era(u,i) + table(u,i)) / sqrt(2), where
 *                    era(u,i) = exp(-(year_i - (2020 - age_u + 18))^2 / (2 * 1.5^2)): users like the films of the
 *                      years when they were about 18. A narrow band in the age-year plane: a tiny function of two
 *                      side features for a non-linear model, but its user x item matrix has high rank;
 *                    table(u,i) = T[occupation_u][primary genre of i], a random +-1 table (12 x 18): taste that
 *                      depends on a conjunction of a user feature and an item feature (an XOR generalised from
 *                      2 x 2 to 12 x 18).
 *                    At the defaults the best rank-8 approximation of the non-linear part's user x item matrix
 *                    explains only about three quarters of its variance; it takes ~32 dimensions to explain 99%
 *                    (test/data/synthetic.test.ts measures this).
 *   preference(u,i) = sqrt(1 - m) * linear + sqrt(m) * nonlinear
 *   score(u,i)      = 2 * preference(u,i) + popularity * ln w_i     (the oracle: see below)
 *
 * Interactions: user u has n_u interactions (log-normal around interactionsPerUser, at least min(5, that), at most
 * half the items). The n_u items are the top n_u of score(u,i) + 2 * noise * e_ui + Gumbel noise, with e_ui ~ N(0,1)
 * per pair: Gumbel-top-k, i.e. sampling without replacement from softmax(score + idiosyncratic noise). Ranking a
 * user's unseen items by truth.score is therefore the best any model can do in expectation; `noise` is the taste no
 * model can learn. Ratings 1-5 are round(2.3 + preference + noise * e_ui), clipped. Each user is active from a
 * random start in 2015-2019 with exponential gaps (mean one day) in random item order; rows are sorted by time.
 *
 * Same options and seed give byte-identical arrays; every random stream is `rng.derive(<purpose>)`. Generation
 * scores every user-item pair once, so it costs O(numUsers x numItems): about 0.3 s at the defaults.
 */
import { checkDataset, type Dataset } from "./dataset";
import { rejectUnknownKeys } from "./csv";
import { CategoricalBuilder, type FeatureTable, NumericBuilder, SetBuilder, textFeature } from "./features";
import { Interactions } from "./interactions";
import { Rng } from "../random";

export interface SyntheticOptions {
  /** Number of users. Default 1000. */
  numUsers?: number;
  /** Number of items. Default 1000. */
  numItems?: number;
  /** Mean interactions per user (log-normal spread). Default 50 (about 50,000 interactions in all). */
  interactionsPerUser?: number;
  /** Dimension of the linear (dot-product) part of the truth. Default 8. */
  rank?: number;
  /** Share of the preference variance that is non-linear, in [0, 1]. 0: pure low-rank world; 1: no linear part. Default 0.5. */
  nonlinearity?: number;
  /** Standard deviation of per-pair idiosyncratic taste (preference has standard deviation 1). Default 0.5. */
  noise?: number;
  /** Zipf exponent of item popularity (0: popularity plays no part). Default 1. */
  popularity?: number;
  /** Seed of every random choice. Default 42. */
  seed?: number;
}

export const SYNTHETIC_DEFAULTS: Required<SyntheticOptions> = {
  numUsers: 1000,
  numItems: 1000,
  interactionsPerUser: 50,
  rank: 8,
  nonlinearity: 0.5,
  noise: 0.5,
  popularity: 1,
  seed: 42,
};

/** The ground truth of a synthetic world. Pair functions take parallel arrays of user and item indices. */
export interface SyntheticTruth {
  /** Oracle score: the logit interactions were sampled from, without per-pair noise. Higher = more likely. */
  score(users: Int32Array, items: Int32Array): Float32Array;
  /** Taste without popularity: sqrt(1-m) * linear + sqrt(m) * nonlinear. */
  preference(users: Int32Array, items: Int32Array): Float32Array;
  /** The standardised low-rank part. */
  linear(users: Int32Array, items: Int32Array): Float32Array;
  /** The standardised non-linear part (era band + occupation x genre table). */
  nonlinear(users: Int32Array, items: Int32Array): Float32Array;
  /** Dense oracle scores, row-major [users.length x numItems] (default: all users). */
  scoreMatrix(users?: Int32Array): Float32Array;
  /** The world's parameters: user/item factors (row-major, `rank` wide), ln w_i, the era centres and the taste table. */
  params: SyntheticParams;
}

export interface SyntheticParams {
  rank: number;
  userFactors: Float64Array;
  itemFactors: Float64Array;
  logPopularity: Float64Array;
  /** The year each user turned 18 (2020 - age + 18): the centre of their era band. */
  eraCentre: Float64Array;
  itemYear: Float64Array;
  /** Occupation of each user (index into SYNTHETIC_OCCUPATIONS). */
  occupation: Int32Array;
  /** Primary genre of each item (index into SYNTHETIC_GENRES). */
  primaryGenre: Int32Array;
  /** The +-1 taste table, row-major [occupation x genre]. */
  tasteTable: Int8Array;
}

export interface SyntheticDataset extends Dataset {
  truth: SyntheticTruth;
  options: Required<SyntheticOptions>;
}

export const SYNTHETIC_GENRES = [
  "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
  "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
];

export const SYNTHETIC_OCCUPATIONS = [
  "student", "engineer", "educator", "programmer", "administrator", "other", "writer", "artist", "scientist",
  "healthcare", "retired", "lawyer",
];

// Title words: the first GENRE_WORDS of each genre's slice belong to it; the rest are shared.
const WORDS = (
  "night fire storm blood steel shadow river ghost heart dream city road king queen star moon sun winter summer " +
  "island secret empire legend hunter stranger kiss letter promise return escape mission target code signal " +
  "garden harbour dance song melody circus wolf dragon castle forest ocean desert frontier sheriff outlaw rider " +
  "detective murder alibi witness case crime heist vault planet galaxy robot alien future machine orbit clone " +
  "war soldier battle front glory honour army sniper laugh party wedding holiday family neighbour roommate " +
  "monster curse haunting scream cellar zombie mystery clue puzzle mirror labyrinth love affair paris venice " +
  "prince princess magic wizard spell quest treasure pirate journey voyage mountain jungle lost found home " +
  "brother sister mother father child school teacher friend story truth life world time day last first " +
  "little big great wild dark bright silent golden broken hidden"
).split(" ");
const GENRE_WORDS = 6;

export function generateSynthetic(options: SyntheticOptions = {}): SyntheticDataset {
  rejectUnknownKeys(options, Object.keys(SYNTHETIC_DEFAULTS), "synthetic dataset");
  const o = resolveOptions(options);
  const rng = new Rng(o.seed);
  const { numUsers, numItems, rank } = o;

  // Users.
  const ur = rng.derive("users");
  const age = new Float64Array(numUsers);
  const gender: string[] = [];
  const occupation = new Int32Array(numUsers);
  const occWeights = SYNTHETIC_OCCUPATIONS.map((_, k) => 1 / (k + 2));
  for (let u = 0; u < numUsers; u++) {
    age[u] = 15 + Math.floor(56 * Math.pow(ur.next(), 1.6));
    gender.push(ur.next() < 0.3 ? "F" : "M");
    occupation[u] = pickWeighted(occWeights, ur);
  }

  // Items.
  const ir = rng.derive("items");
  const itemYear = new Float64Array(numItems);
  const genres: number[][] = [];
  const genreWeights = SYNTHETIC_GENRES.map((_, k) => 1 / Math.sqrt(k + 1));
  const wordOrder = rng.derive("words").permutation(WORDS.length);
  const titles: string[] = [];
  const tokens: string[][] = [];
  for (let i = 0; i < numItems; i++) {
    itemYear[i] = 2020 - Math.floor(90 * Math.pow(ir.next(), 2));
    const count = 1 + (ir.next() < 0.45 ? 1 : 0) + (ir.next() < 0.15 ? 1 : 0);
    const g: number[] = [];
    while (g.length < count) {
      const pick = pickWeighted(genreWeights, ir);
      if (!g.includes(pick)) g.push(pick);
    }
    genres.push(g);
    const words = [WORDS[wordOrder[(g[0]! * GENRE_WORDS + ir.int(GENRE_WORDS)) % WORDS.length]!]!];
    const extra = ir.int(3);
    for (let k = 0; k < extra; k++) {
      const w = WORDS[wordOrder[ir.int(WORDS.length)]!]!;
      if (!words.includes(w)) words.push(w);
    }
    if (ir.next() < 0.5) words.reverse();
    tokens.push(words);
    titles.push(`${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(" ")} (${itemYear[i]})`);
  }

  // Latent factors: items share a centroid with other items of their primary genre.
  const fr = rng.derive("factors");
  const centroids = Float64Array.from({ length: SYNTHETIC_GENRES.length * rank }, () => fr.normal());
  const userFactors = Float64Array.from({ length: numUsers * rank }, () => fr.normal());
  const itemFactors = new Float64Array(numItems * rank);
  for (let i = 0; i < numItems; i++) {
    const c = genres[i]![0]! * rank;
    for (let k = 0; k < rank; k++) itemFactors[i * rank + k] = (centroids[c + k]! + fr.normal()) / Math.SQRT2;
  }

  // The occupation x genre taste table, and popularity.
  const tr = rng.derive("table");
  const tasteTable = Int8Array.from({ length: SYNTHETIC_OCCUPATIONS.length * SYNTHETIC_GENRES.length }, () => (tr.next() < 0.5 ? 1 : -1));
  const primaryGenre = Int32Array.from(genres, (g) => g[0]!);
  const popRank = rng.derive("popularity").permutation(numItems);
  const logPopularity = Float64Array.from(popRank, (r) => -o.popularity * Math.log(1 + r));
  const eraCentre = Float64Array.from(age, (a) => 2020 - a + 18);

  const params: SyntheticParams = {
    rank,
    userFactors,
    itemFactors,
    logPopularity,
    eraCentre,
    itemYear,
    occupation,
    primaryGenre,
    tasteTable,
  };
  const truth = makeTruth(params, o, rng.derive("standardise"));

  // Interactions: Gumbel-top-k per user.
  const sr = rng.derive("interactions");
  const counts = userCounts(o, rng.derive("counts"));
  const total = counts.reduce((s, c) => s + c, 0);
  const users = new Int32Array(total);
  const items = new Int32Array(total);
  const ratings = new Float32Array(total);
  const timestamps = new Float64Array(total);
  const allItems = Int32Array.from({ length: numItems }, (_, i) => i);
  const rowUsers = new Int32Array(numItems);
  const keys = new Float64Array(numItems);
  const noisy = new Float64Array(numItems);
  const sorted = new Float64Array(numItems);
  const start = Date.UTC(2015, 0, 1) / 1000;
  const span = Date.UTC(2020, 0, 1) / 1000 - start;
  let row = 0;
  for (let u = 0; u < numUsers; u++) {
    rowUsers.fill(u);
    const pref = truth.preference(rowUsers, allItems);
    for (let i = 0; i < numItems; i++) {
      noisy[i] = pref[i]! + o.noise * sr.normal();
      keys[i] = SELECTIVITY * noisy[i]! + logPopularity[i]! - Math.log(-Math.log(1 - sr.next()));
    }
    const n = counts[u]!;
    sorted.set(keys);
    const threshold = nthSmallest(sorted, numItems - n);
    const chosen: number[] = [];
    for (let i = 0; i < numItems && chosen.length < n; i++) if (keys[i]! >= threshold) chosen.push(i);
    sr.shuffle(chosen);
    let t = start + Math.floor(sr.next() * span);
    for (const i of chosen) {
      t += Math.floor(-86400 * Math.log(1 - sr.next()));
      users[row] = u;
      items[row] = i;
      ratings[row] = Math.min(5, Math.max(1, Math.round(2.3 + noisy[i]!)));
      timestamps[row] = t;
      row++;
    }
  }
  // A log in time order (stable: ties keep user order).
  const order = Int32Array.from({ length: total }, (_, k) => k).sort((a, b) => timestamps[a]! - timestamps[b]! || a - b);
  const interactions = new Interactions({
    users: Int32Array.from(order, (k) => users[k]!),
    items: Int32Array.from(order, (k) => items[k]!),
    ratings: Float32Array.from(order, (k) => ratings[k]!),
    timestamps: Float64Array.from(order, (k) => timestamps[k]!),
    numUsers,
    numItems,
    userIds: Array.from({ length: numUsers }, (_, u) => String(u + 1)),
    itemIds: Array.from({ length: numItems }, (_, i) => String(i + 1)),
  });

  const ageCol = new NumericBuilder(numUsers);
  const genderCol = new CategoricalBuilder(numUsers);
  const occCol = new CategoricalBuilder(numUsers);
  for (let u = 0; u < numUsers; u++) {
    ageCol.set(u, age[u]!);
    genderCol.set(u, gender[u]!);
    occCol.set(u, SYNTHETIC_OCCUPATIONS[occupation[u]!]!);
  }
  const userFeatures: FeatureTable = {
    size: numUsers,
    columns: {
      age: ageCol.finish("age in years (drives the era band of the truth)"),
      gender: genderCol.finish("gender (F/M; not used by the truth)"),
      occupation: occCol.finish("occupation (a row of the truth's taste table)"),
    },
  };
  const yearCol = new NumericBuilder(numItems);
  const genreCol = new SetBuilder(numItems, SYNTHETIC_GENRES);
  const tokenCol = new SetBuilder(numItems);
  for (let i = 0; i < numItems; i++) {
    yearCol.set(i, itemYear[i]!);
    genreCol.set(i, genres[i]!.map((g) => SYNTHETIC_GENRES[g]!));
    tokenCol.set(i, tokens[i]!);
  }
  const itemFeatures: FeatureTable = {
    size: numItems,
    columns: {
      title: textFeature(titles, "title with the year"),
      year: yearCol.finish("release year (drives the era band of the truth)"),
      genres: genreCol.finish("genres; one of them, the primary (params.primaryGenre), sets the factor centroid and the taste-table column"),
      titleTokens: tokenCol.finish("title words; the first word of the drawn title belongs to the primary genre"),
    },
  };
  const source = `synthetic(${Object.entries(o).map(([k, v]) => `${k}=${v}`).join(", ")})`;
  const dataset = checkDataset({ name: "synthetic", interactions, userFeatures, itemFeatures, source });
  return { ...dataset, truth, options: o };
}

/** Weight of preference in the logit: how strongly taste, rather than chance, picks what a user watches. */
const SELECTIVITY = 2;
const ERA_WIDTH = 1.5;

function resolveOptions(options: SyntheticOptions): Required<SyntheticOptions> {
  const o = { ...SYNTHETIC_DEFAULTS };
  for (const [k, v] of Object.entries(options)) if (v !== undefined) (o as Record<string, number>)[k] = v;
  const int = (name: keyof SyntheticOptions, min: number) => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min) throw new Error(`synthetic dataset: ${name} must be an integer >= ${min}, got ${v}`);
  };
  int("numUsers", 1);
  int("numItems", 2);
  int("rank", 1);
  int("seed", 0);
  if (!(o.interactionsPerUser >= 1 && o.interactionsPerUser <= o.numItems / 2)) {
    throw new Error(`synthetic dataset: interactionsPerUser must be between 1 and numItems / 2 = ${o.numItems / 2}, got ${o.interactionsPerUser}; raise numItems or lower it`);
  }
  if (!(o.nonlinearity >= 0 && o.nonlinearity <= 1)) throw new Error(`synthetic dataset: nonlinearity must be in [0, 1], got ${o.nonlinearity}`);
  if (!(o.noise >= 0) || !Number.isFinite(o.noise)) throw new Error(`synthetic dataset: noise must be a number >= 0, got ${o.noise}`);
  if (!(o.popularity >= 0) || !Number.isFinite(o.popularity)) throw new Error(`synthetic dataset: popularity must be a number >= 0, got ${o.popularity}`);
  return o;
}

/** Interactions per user: log-normal (sigma 0.9) with the requested mean, clipped to [min(5, mean), numItems / 2]. */
function userCounts(o: Required<SyntheticOptions>, rng: Rng): Int32Array {
  const sigma = 0.9;
  const mu = Math.log(o.interactionsPerUser) - (sigma * sigma) / 2;
  const lo = Math.max(1, Math.min(5, Math.round(o.interactionsPerUser)));
  const hi = Math.max(lo, Math.floor(o.numItems / 2));
  return Int32Array.from({ length: o.numUsers }, () => Math.min(hi, Math.max(lo, Math.round(Math.exp(mu + sigma * rng.normal())))));
}

/** The k-th smallest value (0-based) of a, by quickselect (a is reordered). */
function nthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function pickWeighted(weights: readonly number[], rng: Rng): number {
  const total = weights.reduce((s, w) => s + w, 0);
  let x = rng.next() * total;
  for (let k = 0; k < weights.length; k++) {
    x -= weights[k]!;
    if (x < 0) return k;
  }
  return weights.length - 1;
}

function makeTruth(p: SyntheticParams, o: Required<SyntheticOptions>, rng: Rng): SyntheticTruth {
  const { rank, userFactors, itemFactors, eraCentre, itemYear, occupation, primaryGenre, tasteTable, logPopularity } = p;
  const numGenres = SYNTHETIC_GENRES.length;
  const rawLinear = (u: number, i: number) => {
    let s = 0;
    for (let k = 0; k < rank; k++) s += userFactors[u * rank + k]! * itemFactors[i * rank + k]!;
    return s / Math.sqrt(rank);
  };
  const rawEra = (u: number, i: number) => {
    const d = itemYear[i]! - eraCentre[u]!;
    return Math.exp(-(d * d) / (2 * ERA_WIDTH * ERA_WIDTH));
  };
  const rawTable = (u: number, i: number) => tasteTable[occupation[u]! * numGenres + primaryGenre[i]!]!;
  // Standardisation constants from a fixed random sample of pairs (exact enough, and cheap for big worlds).
  const samples = 100_000;
  const acc = [new Float64Array(2), new Float64Array(2), new Float64Array(2)];
  for (let s = 0; s < samples; s++) {
    const u = rng.int(o.numUsers);
    const i = rng.int(o.numItems);
    const vals = [rawLinear(u, i), rawEra(u, i), rawTable(u, i)];
    for (let k = 0; k < 3; k++) {
      acc[k]![0]! += vals[k]!;
      acc[k]![1]! += vals[k]! * vals[k]!;
    }
  }
  const stats = acc.map(([sum, sq]) => {
    const mean = sum! / samples;
    const sd = Math.sqrt(Math.max(sq! / samples - mean * mean, 1e-12));
    return { mean, sd };
  });
  const [sl, se, sx] = stats as [{ mean: number; sd: number }, { mean: number; sd: number }, { mean: number; sd: number }];
  const linear = (u: number, i: number) => (rawLinear(u, i) - sl.mean) / sl.sd;
  const nonlinear = (u: number, i: number) => ((rawEra(u, i) - se.mean) / se.sd + (rawTable(u, i) - sx.mean) / sx.sd) / Math.SQRT2;
  const a = Math.sqrt(1 - o.nonlinearity);
  const b = Math.sqrt(o.nonlinearity);
  const preference = (u: number, i: number) => a * linear(u, i) + b * nonlinear(u, i);
  const score = (u: number, i: number) => SELECTIVITY * preference(u, i) + logPopularity[i]!;
  const pairs = (f: (u: number, i: number) => number) => (users: Int32Array, items: Int32Array): Float32Array => {
    if (users.length !== items.length) throw new Error(`truth: users has ${users.length} entries but items has ${items.length}`);
    const out = new Float32Array(users.length);
    for (let k = 0; k < users.length; k++) {
      const u = users[k]!;
      const i = items[k]!;
      if (!(u >= 0 && u < o.numUsers && i >= 0 && i < o.numItems)) throw new Error(`truth: pair ${k} (user ${u}, item ${i}) is outside ${o.numUsers} x ${o.numItems}`);
      out[k] = f(u, i);
    }
    return out;
  };
  return {
    score: pairs(score),
    preference: pairs(preference),
    linear: pairs(linear),
    nonlinear: pairs(nonlinear),
    scoreMatrix(users?: Int32Array): Float32Array {
      const us = users ?? Int32Array.from({ length: o.numUsers }, (_, u) => u);
      const out = new Float32Array(us.length * o.numItems);
      for (let r = 0; r < us.length; r++) for (let i = 0; i < o.numItems; i++) out[r * o.numItems + i] = score(us[r]!, i);
      return out;
    },
    params: p,
  };
}
