/**
 * One replica's side of the gradient exchange: its shard's gradients go into its slot of shared memory, it waits
 * until every replica has written (the barrier), then sums all slots itself.
 *
 * Every replica sums the slots in the SAME order (shard 0, 1, ...) with the same float32 roundings, so all of them
 * get bit-identical gradients and, applying the same optimiser step, stay identical without sending weights.
 * Each shard's gradient is of its own MEAN loss; scaled by n_shard / n_batch the sum is the gradient of the whole
 * batch's mean loss, as one replica would compute it (up to float rounding).
 *
 * Keys: a GradMap may join consecutive weights ("a+b", see lib/nn/params.ts). The layout is the first step's keys,
 * sorted, each at a fixed offset; every later step must bring the same keys (the same model code does).
 */
import * as tf from "@tensorflow/tfjs";
import type { GradMap } from "../../nn/params";
import type { GradientExchange } from "../../nn/step";
import { copyValues } from "./heap-read";
import { STATS, Shared, shardRange } from "./shared";

interface Entry {
  key: string;
  offset: number;
  size: number;
  shape: number[];
}

export class SharedExchange implements GradientExchange {
  private layout: Entry[] | null = null;
  private step = 0;
  private n = 0;
  /** The sum, reused from step to step on wasm (which copies a tensor's values when it is made). */
  private sum: Float32Array;
  private readonly reuse: boolean;
  /** Milliseconds of this step spent waiting at the barrier and copying or summing (for the stats). */
  waitMs = 0;
  copyMs = 0;

  constructor(
    private readonly shared: Shared,
    private readonly k: number,
  ) {
    this.sum = new Float32Array(shared.buffers.size);
    this.reuse = tf.getBackend() === "wasm";
  }

  /** The next trainStep is step `step` (1-based) of a batch of `n` examples; this replica has shard k of them. */
  begin(step: number, n: number): void {
    this.step = step;
    this.n = n;
  }

  exchange(grads: GradMap, lossSum: tf.Tensor): { grads: GradMap; lossSum: tf.Tensor; n: number } {
    const t0 = performance.now();
    const s = this.shared;
    const R = s.replicas;
    const size = s.buffers.size;
    const layout = this.layoutOf(grads);
    const [a, b] = shardRange(this.n, R, this.k);
    const mine = s.slot(this.step, this.k);
    for (const e of layout) copyValues(grads.get(e.key)!, s.grads, mine + e.offset);
    // An empty shard (a batch smaller than the replica count) stepped on a stand-in example: it counts for nothing.
    s.losses[(this.step % 2) * R + this.k] = b > a ? lossSum.dataSync()[0]! : 0;
    s.signal(s.ready(this.k), this.step);
    const t1 = performance.now();

    for (let j = 0; j < R; j++) s.waitAtLeast(s.ready(j), this.step, `worker ${this.k} at the gradient barrier of step ${this.step}`);
    const t2 = performance.now();

    // Sum in shard order, every replica alike (see the module comment).
    const sum = this.reuse ? this.sum : new Float32Array(size);
    const g = s.grads;
    const scales = new Float64Array(R);
    const slots = new Int32Array(R);
    let total = 0;
    for (let j = 0; j < R; j++) {
      const [lo, hi] = shardRange(this.n, R, j);
      scales[j] = (hi - lo) / this.n;
      slots[j] = s.slot(this.step, j);
      total += s.losses[(this.step % 2) * R + j]!;
    }
    // One pass, accumulating in double precision in shard order, rounded once to float32.
    if (R === 2) {
      const [o0, o1] = [slots[0]!, slots[1]!];
      const [c0, c1] = [scales[0]!, scales[1]!];
      for (let i = 0; i < size; i++) sum[i] = g[o0 + i]! * c0 + g[o1 + i]! * c1;
    } else {
      for (let i = 0; i < size; i++) {
        let acc = 0;
        for (let j = 0; j < R; j++) acc += g[slots[j]! + i]! * scales[j]!;
        sum[i] = acc;
      }
    }
    const out: GradMap = new Map();
    for (const e of layout) out.set(e.key, tf.tensor(sum.subarray(e.offset, e.offset + e.size), e.shape, "float32"));
    const t3 = performance.now();
    this.waitMs += t2 - t1;
    this.copyMs += t1 - t0 + (t3 - t2);
    return { grads: out, lossSum: tf.scalar(total), n: this.n };
  }

  /** The fixed layout (made on the first step), checked against this step's keys. */
  private layoutOf(grads: GradMap): Entry[] {
    if (!this.layout) {
      let offset = 0;
      this.layout = [...grads.keys()].sort().map((key) => {
        const t = grads.get(key)!;
        const e = { key, offset, size: t.size, shape: [...t.shape] };
        offset += t.size;
        return e;
      });
      if (offset !== this.shared.buffers.size) {
        throw new Error(`data-parallel training: the gradients have ${offset} values but the model has ${this.shared.buffers.size} weights; every weight needs exactly one gradient`);
      }
    }
    if (grads.size !== this.layout.length || this.layout.some((e) => grads.get(e.key)?.size !== e.size)) {
      throw new Error(
        `data-parallel training: step ${this.step} gave gradients for [${[...grads.keys()].sort().join(", ")}] but the first step gave [${this.layout.map((e) => e.key).join(", ")}]; ` +
          "the model must return the same gradient entries every step",
      );
    }
    return this.layout;
  }

  /** Add this step's timings to the replica's row of the shared stats. */
  record(stepMs: number): void {
    const row = this.k * STATS.WIDTH;
    const st = this.shared.stats;
    const add = (i: number, v: number) => (st[row + i] = st[row + i]! + v);
    add(STATS.STEPS, 1);
    add(STATS.COMPUTE_MS, stepMs - this.waitMs - this.copyMs);
    add(STATS.WAIT_MS, this.waitMs);
    add(STATS.COPY_MS, this.copyMs);
    this.waitMs = 0;
    this.copyMs = 0;
  }
}
