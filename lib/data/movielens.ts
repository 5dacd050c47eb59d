/**
 * Readers for the three MovieLens file layouts, from a local folder holding the unpacked files:
 *
 * - "ml-100k": u.data (user TAB item TAB rating TAB timestamp), u.user (id|age|gender|occupation|zip),
 *              u.item (id|title|release date|video date|IMDb URL|19 genre flags; Latin-1), u.genre (names);
 * - "ml-1m":   ratings.dat (UserID::MovieID::Rating::Timestamp), users.dat (UserID::Gender::Age::Occupation::Zip,
 *              age and occupation as codes), movies.dat (MovieID::Title::Genre|Genre; Latin-1);
 * - "ml-csv":  ratings.csv (userId,movieId,rating,timestamp with a header) and movies.csv (movieId,title,genres; titles
 *              with commas are quoted), as in ml-latest-small, ml-20m and ml-25m (UTF-8).
 *
 * The index space is the users and items that occur in the ratings file (ids in ascending numeric order), as
 * published statistics count them (ml-1m: 3706 rated movies, not the 3883 of movies.dat). Only the ratings file is
 * required; side features are read when their files are present. Rows keep the order of the ratings file, which
 * breaks timestamp ties in splits.
 */
import * as fs from "fs";
import * as path from "path";
import type { IdIndexer } from "./columns";
import { type RatingScale, readInteractions } from "./csv";
import { checkDataset, type Dataset } from "./dataset";
import {
  CategoricalBuilder,
  type FeatureTable,
  NumericBuilder,
  SetBuilder,
  textFeature,
  titleTokens,
  titleYear,
} from "./features";
import { readDelimited, type Row } from "./parse";

export type MovieLensFormat = "ml-100k" | "ml-1m" | "ml-csv";

/** The file that must exist in a folder of each format (the others are optional). */
export const RATINGS_FILE: Record<MovieLensFormat, string> = {
  "ml-100k": "u.data",
  "ml-1m": "ratings.dat",
  "ml-csv": "ratings.csv",
};

/**
 * The rating scale of each layout, from GroupLens' READMEs: ml-100k and ml-1m have whole stars 1-5; the CSV
 * releases (ml-latest-small, ml-20m, ml-25m) half stars 0.5-5. A rating off the scale is an error naming the line.
 */
export const RATING_SCALES: Record<MovieLensFormat, Omit<RatingScale, "name">> = {
  "ml-100k": { min: 1, max: 5, step: 1 },
  "ml-1m": { min: 1, max: 5, step: 1 },
  "ml-csv": { min: 0.5, max: 5, step: 0.5 },
};

/** Reads a MovieLens folder of the given layout. */
export function readMovieLens(dir: string, format: MovieLensFormat, name: string = format): Dataset {
  const ratings = path.join(dir, RATINGS_FILE[format]);
  if (!fs.existsSync(ratings)) {
    throw new Error(`${name}: ${ratings} does not exist; the folder must hold the unpacked ${name} files (${RATINGS_FILE[format]} at least)`);
  }
  switch (format) {
    case "ml-100k":
      return read100k(dir, name);
    case "ml-1m":
      return read1m(dir, name);
    case "ml-csv":
      return readCsvLayout(dir, name);
  }
}

/** The 19 genres of u.genre, in flag order (used when u.genre is absent). */
export const ML100K_GENRES = [
  "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
  "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
];

/** MovieLens-1M occupation codes 0..20, from its README. */
export const ML1M_OCCUPATIONS = [
  "other or not specified", "academic/educator", "artist", "clerical/admin", "college/grad student",
  "customer service", "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer",
  "programmer", "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer",
  "tradesman/craftsman", "unemployed", "writer",
];

function read100k(dir: string, name: string): Dataset {
  const { interactions, users, items } = readInteractions(path.join(dir, "u.data"), {
    delimiter: "\t",
    quotes: false,
    header: false,
    columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
    ratingScale: { name, ...RATING_SCALES["ml-100k"] },
  });
  const userFile = path.join(dir, "u.user");
  let userFeatures: FeatureTable | undefined;
  if (fs.existsSync(userFile)) {
    const n = interactions.numUsers;
    const age = new NumericBuilder(n);
    const gender = new CategoricalBuilder(n);
    const occupation = new CategoricalBuilder(n);
    const zip = new CategoricalBuilder(n);
    readDelimited(userFile, { delimiter: "|", quotes: false, encoding: "latin1" }, (row) => {
      if (row.count < 5) row.fail(`expected 5 fields user id|age|gender|occupation|zip code but found ${row.count}`);
      const u = users.lookupRow(row, 0);
      if (u < 0) return; // a user without ratings is outside the index space
      const a = row.number(1);
      if (!Number.isFinite(a)) row.fail(`age ${JSON.stringify(row.text(1))} is not a number`);
      age.set(u, a);
      gender.set(u, row.text(2).trim());
      occupation.set(u, row.text(3).trim());
      zip.set(u, row.text(4).trim());
    });
    userFeatures = {
      size: n,
      columns: {
        age: age.finish("age in years"),
        gender: gender.finish("gender (M/F)"),
        occupation: occupation.finish("occupation"),
        zip: zip.finish("zip code"),
      },
    };
  }
  const itemFile = path.join(dir, "u.item");
  let itemFeatures: FeatureTable | undefined;
  if (fs.existsSync(itemFile)) {
    const genreNames = read100kGenres(path.join(dir, "u.genre"));
    itemFeatures = readItemFile(itemFile, items, interactions.numItems, { delimiter: "|", quotes: false, encoding: "latin1", header: false }, (row, set) => {
      if (row.count < 5 + genreNames.length) {
        row.fail(`expected ${5 + genreNames.length} fields (id|title|release date|video release date|URL|${genreNames.length} genre flags) but found ${row.count}`);
      }
      const title = row.text(1).trim();
      const genres: string[] = [];
      for (let g = 0; g < genreNames.length; g++) if (row.number(5 + g) === 1) genres.push(genreNames[g]!);
      // The year in the title is the film's; the release date is the fallback (and the only date of some entries).
      let year = titleYear(title);
      if (Number.isNaN(year)) year = Number(/(\d{4})\s*$/.exec(row.text(2))?.[1] ?? NaN);
      set(title, genres, year);
    }, genreNames);
  }
  return checkDataset({ name, interactions, userFeatures, itemFeatures, source: path.resolve(dir) });
}

function read100kGenres(file: string): string[] {
  if (!fs.existsSync(file)) return ML100K_GENRES;
  const names: string[] = [];
  readDelimited(file, { delimiter: "|", quotes: false, encoding: "latin1" }, (row) => {
    if (row.count < 2) row.fail("expected genre name|index");
    const at = row.number(1);
    if (!Number.isInteger(at) || at < 0) row.fail(`genre index ${JSON.stringify(row.text(1))} is not a non-negative integer`);
    names[at] = row.text(0).trim();
  });
  return Array.from(names, (n, i) => n ?? `genre${i}`);
}

function read1m(dir: string, name: string): Dataset {
  const { interactions, users, items } = readInteractions(path.join(dir, "ratings.dat"), {
    delimiter: "::",
    quotes: false,
    header: false,
    encoding: "latin1",
    columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
    ratingScale: { name, ...RATING_SCALES["ml-1m"] },
  });
  const userFile = path.join(dir, "users.dat");
  let userFeatures: FeatureTable | undefined;
  if (fs.existsSync(userFile)) {
    const n = interactions.numUsers;
    const age = new NumericBuilder(n);
    const ageGroup = new CategoricalBuilder(n, ["1", "18", "25", "35", "45", "50", "56"]);
    const gender = new CategoricalBuilder(n);
    const occupation = new CategoricalBuilder(n, ML1M_OCCUPATIONS);
    const zip = new CategoricalBuilder(n);
    readDelimited(userFile, { delimiter: "::", quotes: false, encoding: "latin1" }, (row) => {
      if (row.count < 5) row.fail(`expected 5 fields UserID::Gender::Age::Occupation::Zip-code but found ${row.count}`);
      const u = users.lookupRow(row, 0);
      if (u < 0) return;
      const a = row.number(2);
      if (!Number.isFinite(a)) row.fail(`age ${JSON.stringify(row.text(2))} is not a number`);
      const occ = row.number(3);
      if (!(Number.isInteger(occ) && occ >= 0 && occ < ML1M_OCCUPATIONS.length)) {
        row.fail(`occupation code ${JSON.stringify(row.text(3))} is not one of 0..${ML1M_OCCUPATIONS.length - 1}`);
      }
      age.set(u, a);
      ageGroup.set(u, String(a));
      gender.set(u, row.text(1).trim());
      occupation.set(u, ML1M_OCCUPATIONS[occ]!);
      zip.set(u, row.text(4).trim());
    });
    userFeatures = {
      size: n,
      columns: {
        age: age.finish("lower bound of the age group (1 means under 18)"),
        ageGroup: ageGroup.finish("age group code: 1, 18, 25, 35, 45, 50, 56"),
        gender: gender.finish("gender (M/F)"),
        occupation: occupation.finish("occupation"),
        zip: zip.finish("zip code"),
      },
    };
  }
  const movieFile = path.join(dir, "movies.dat");
  const itemFeatures = fs.existsSync(movieFile) ? readMoviesFile(movieFile, items, interactions.numItems, { delimiter: "::", quotes: false, encoding: "latin1", header: false }) : undefined;
  return checkDataset({ name, interactions, userFeatures, itemFeatures, source: path.resolve(dir) });
}

function readCsvLayout(dir: string, name: string): Dataset {
  const { interactions, items } = readInteractions(path.join(dir, "ratings.csv"), {
    delimiter: ",",
    quotes: true,
    header: true,
    columns: { user: "userId", item: "movieId", rating: "rating", timestamp: "timestamp" },
    ratingScale: { name, ...RATING_SCALES["ml-csv"] },
  });
  const movieFile = path.join(dir, "movies.csv");
  const itemFeatures = fs.existsSync(movieFile) ? readMoviesFile(movieFile, items, interactions.numItems, { delimiter: ",", quotes: true, encoding: "utf8", header: true }) : undefined;
  return checkDataset({ name, interactions, itemFeatures, source: path.resolve(dir) });
}

/** movies.dat / movies.csv: id, title, genres separated by '|' ("(no genres listed)" means none). */
function readMoviesFile(file: string, items: IdIndexer, numItems: number, layout: ItemFileLayout): FeatureTable {
  const d = layout.delimiter;
  return readItemFile(file, items, numItems, layout, (row, set) => {
    if (row.count < 3) row.fail(`expected 3 fields movie id${d}title${d}genres but found ${row.count}`);
    const title = row.text(1).trim();
    const list = row.text(2).trim();
    const genres = !list || list === "(no genres listed)" ? [] : list.split("|").map((g) => g.trim());
    set(title, genres, titleYear(title));
  });
}

interface ItemFileLayout {
  delimiter: string;
  quotes: boolean;
  encoding: "utf8" | "latin1";
  header: boolean;
}

/** Shared by the item files: title, year, genres and title tokens for each rated item. */
function readItemFile(
  file: string,
  items: IdIndexer,
  numItems: number,
  layout: ItemFileLayout,
  parse: (row: Row, set: (title: string, genres: string[], year: number) => void) => void,
  genreVocabulary?: readonly string[],
): FeatureTable {
  const titles: (string | undefined)[] = new Array(numItems);
  const year = new NumericBuilder(numItems);
  const genres = new SetBuilder(numItems, genreVocabulary);
  const tokens = new SetBuilder(numItems);
  let first = true;
  readDelimited(file, layout, (row) => {
    if (first && layout.header) {
      first = false;
      return;
    }
    const i = items.lookupRow(row, 0);
    if (i < 0) return; // never rated: outside the index space
    parse(row, (title, g, y) => {
      titles[i] = title;
      if (!Number.isNaN(y)) year.set(i, y);
      genres.set(i, g);
      tokens.set(i, titleTokens(title));
    });
  });
  return {
    size: numItems,
    columns: {
      title: textFeature(titles, "title as published (with the year)"),
      year: year.finish("release year (NaN when unknown)"),
      genres: genres.finish("genres (multi-valued)"),
      titleTokens: tokens.finish("lower-case title words without the year and articles"),
    },
  };
}
