/** Small models and data builders shared by the evaluation tests. */
import { Interactions } from "../../lib/data/interactions";
import type { Factors, Recommender } from "../../lib/models/recommender";

/** A model whose scores are a given dense numUsers x numItems matrix (row-major). */
export class MatrixModel implements Recommender {
  readonly name = "Matrix";
  calls = 0;
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly matrix: Float32Array,
  ) {
    if (matrix.length !== numUsers * numItems) throw new Error("MatrixModel: wrong matrix size");
  }
  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return Float32Array.from(users, (u, j) => this.matrix[u * this.numItems + items[j]!]!);
  }
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    this.calls++;
    const out = new Float32Array(users.length * this.numItems);
    users.forEach((u, b) => out.set(this.matrix.subarray(u * this.numItems, (u + 1) * this.numItems), b * this.numItems));
    return out;
  }
}

/** A dot-product model: scoreAll by a plain loop, and factors() for the matrix-product path. */
export class DotModel implements Recommender {
  readonly name = "Dot";
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    private readonly f: Factors,
  ) {}
  factors(): Factors {
    return this.f;
  }
  private dot(u: number, i: number): number {
    const { users, items, dim, itemBias } = this.f;
    let s = itemBias ? itemBias[i]! : 0;
    for (let d = 0; d < dim; d++) s += users[u * dim + d]! * items[i * dim + d]!;
    return s;
  }
  async score(users: Int32Array, items: Int32Array): Promise<Float32Array> {
    return Float32Array.from(users, (u, j) => this.dot(u, items[j]!));
  }
  async scoreAll(users: Int32Array): Promise<Float32Array> {
    const out = new Float32Array(users.length * this.numItems);
    users.forEach((u, b) => {
      for (let i = 0; i < this.numItems; i++) out[b * this.numItems + i] = this.dot(u, i);
    });
    return out;
  }
}

/** Interactions from [user, item] pairs (and optional ratings). */
export function pairs(numUsers: number, numItems: number, list: [number, number][], ratings?: number[]): Interactions {
  return new Interactions({
    users: Int32Array.from(list, (p) => p[0]),
    items: Int32Array.from(list, (p) => p[1]),
    ratings: ratings ? Float32Array.from(ratings) : undefined,
    numUsers,
    numItems,
  });
}

/** |a - b| <= tol, with a message naming what is compared. */
export function close(actual: number, expected: number, tol: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tol)) throw new Error(`${what}: ${actual} is not within ${tol} of ${expected}`);
}
