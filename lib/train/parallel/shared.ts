/**
 * The memory that the replicas of a data-parallel run share (SharedArrayBuffers), and the waits on it.
 *
 * Why shared memory and not messages: the main thread is blocked in its own training step while the others run
 * theirs, so it cannot take messages; and a step's gradients (whole embedding tables) would be copied twice per
 * message. Here each replica writes its shard's gradients into its own slot once, and every replica reads all slots.
 *
 * Layout:
 *   control  Int32: command sequence and kind, failure flag, the batch's size and fields, the step number, then per
 *            replica its READY step (gradients written) and its ACK (last command done)
 *   message  the failing replica's error message (UTF-8)
 *   losses   Float64 [2][replicas]: each shard's summed loss
 *   stats    Float64 [replicas][STATS]: per replica, steps and milliseconds in compute, waiting and copies
 *   grads    Float32 [2][replicas][size]: each shard's scaled gradients, every weight once, in a fixed key order
 *   input    (its own buffer, replaced when a batch outgrows it) the batch's users, items, negItems, rows, labels
 * Gradients and losses are double-buffered by step parity: a replica still summing step s while another writes
 * step s + 1 reads the other half, and nobody can reach step s + 2 before everyone has arrived at step s + 1.
 */

import type { TrainBatch } from "../../models/batch";

export const C = {
  CMD_SEQ: 0,
  CMD: 1,
  /** 0: all well; k + 1: replica k failed (its message is in `message`); -1: the main thread stopped the run. */
  FAILED: 2,
  N: 3,
  FIELDS: 4,
  STEP: 5,
  MESSAGE_LENGTH: 6,
  INPUT_GENERATION: 7,
  READY: 8,
} as const;

export const CMD = { STEP: 1, STATS: 2, STOP: 3 } as const;
export const FIELD = { LABELS: 1, NEG_ITEMS: 2, ROWS: 4 } as const;
export const STATS = { STEPS: 0, COMPUTE_MS: 1, WAIT_MS: 2, COPY_MS: 3, TENSORS: 4, WIDTH: 5 } as const;
const MESSAGE_BYTES = 8192;

/** Milliseconds a replica waits for the others before it gives up (a stuck or silently dead replica). */
export const STALL_MS = 300_000;
/** Waits are cut into slices this long, so a failure flag set meanwhile is seen promptly. */
const SLICE_MS = 50;
/**
 * A wait first spins this long: the other replicas usually arrive within a fraction of a millisecond, and waking a
 * thread from Atomics.wait costs tens of microseconds each time, twice per step.
 */
const SPIN_MS = 0.05;

export interface SharedBuffers {
  replicas: number;
  /** Values in one gradient slot (the model's weight count). */
  size: number;
  control: SharedArrayBuffer;
  message: SharedArrayBuffer;
  losses: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

export function allocate(replicas: number, size: number): SharedBuffers {
  return {
    replicas,
    size,
    control: new SharedArrayBuffer(4 * (C.READY + 2 * replicas)),
    message: new SharedArrayBuffer(MESSAGE_BYTES),
    losses: new SharedArrayBuffer(8 * 2 * replicas),
    stats: new SharedArrayBuffer(8 * STATS.WIDTH * replicas),
    grads: new SharedArrayBuffer(4 * 2 * replicas * size),
  };
}

/** Typed views of the shared buffers, and the waits every replica uses. */
export class Shared {
  readonly control: Int32Array;
  readonly losses: Float64Array;
  readonly stats: Float64Array;
  readonly grads: Float32Array;
  private readonly message: Uint8Array;

  constructor(readonly buffers: SharedBuffers) {
    this.control = new Int32Array(buffers.control);
    this.losses = new Float64Array(buffers.losses);
    this.stats = new Float64Array(buffers.stats);
    this.grads = new Float32Array(buffers.grads);
    this.message = new Uint8Array(buffers.message);
  }

  get replicas(): number {
    return this.buffers.replicas;
  }

  ready(k: number): number {
    return C.READY + k;
  }

  ack(k: number): number {
    return C.READY + this.replicas + k;
  }

  /** Offset of replica k's gradient slot for step `step`. */
  slot(step: number, k: number): number {
    return ((step % 2) * this.replicas + k) * this.buffers.size;
  }

  /** Set a control word and wake whoever waits on it. */
  signal(index: number, value: number): void {
    Atomics.store(this.control, index, value);
    Atomics.notify(this.control, index);
  }

  /** Record the first failure (later ones are consequences) and wake every waiter. */
  fail(code: number, message: string): void {
    if (Atomics.compareExchange(this.control, C.FAILED, 0, code) !== 0) return;
    const bytes = new TextEncoder().encode(message).subarray(0, this.message.length);
    this.message.set(bytes);
    Atomics.store(this.control, C.MESSAGE_LENGTH, bytes.length);
    for (let i = 0; i < this.control.length; i++) Atomics.notify(this.control, i);
  }

  /** The failure as an error (null when all is well). */
  failure(): Error | null {
    const code = Atomics.load(this.control, C.FAILED);
    if (code === 0) return null;
    if (code < 0) return new ReplicaStopped();
    const text = new TextDecoder().decode(this.message.slice(0, Atomics.load(this.control, C.MESSAGE_LENGTH)));
    // Worker 0 is the main thread. Named after the feature, so a user who set `workers` knows where it came from.
    return new Error(`data-parallel training (workers): worker ${code - 1} failed: ${text}`);
  }

  /**
   * Wait until control[index] >= target, in slices, throwing if any replica failed meanwhile or nothing happened
   * for STALL_MS (a replica that died without a word).
   */
  waitAtLeast(index: number, target: number, what: string): void {
    const start = performance.now();
    if (spinUntil(this.control, index, target, start)) return;
    for (;;) {
      const now = Atomics.load(this.control, index);
      if (now >= target) return;
      const failed = this.failure();
      if (failed) throw failed;
      if (performance.now() - start > STALL_MS) throw new Error(`${what}: no progress for ${STALL_MS / 1000} s (a worker thread stalled or died)`);
      Atomics.wait(this.control, index, now, SLICE_MS);
    }
  }
}

/** Spin (briefly, see SPIN_MS) until control[index] >= target; false if it did not happen. */
export function spinUntil(control: Int32Array, index: number, target: number, start: number): boolean {
  for (let i = 0; ; i++) {
    if (Atomics.load(control, index) >= target) return true;
    if ((i & 63) === 63 && performance.now() - start > SPIN_MS) return false;
  }
}

/** Thrown in a replica when the main thread ended the run (its own error is the one reported). */
export class ReplicaStopped extends Error {
  constructor() {
    super("the run was stopped");
    this.name = "ReplicaStopped";
  }
}

/** The batch's fields, in shared memory that every replica reads its shard from. */
export class SharedInput {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly negItems: Int32Array;
  readonly rows: Int32Array;
  readonly labels: Float32Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    const cap = buffer.byteLength / 20;
    this.users = new Int32Array(buffer, 0, cap);
    this.items = new Int32Array(buffer, 4 * cap, cap);
    this.negItems = new Int32Array(buffer, 8 * cap, cap);
    this.rows = new Int32Array(buffer, 12 * cap, cap);
    this.labels = new Float32Array(buffer, 16 * cap, cap);
  }

  static withCapacity(examples: number): SharedInput {
    return new SharedInput(new SharedArrayBuffer(20 * examples));
  }

  get capacity(): number {
    return this.users.length;
  }
}

/** Contiguous shard k of n examples over `replicas` (sizes differ by at most one; earlier shards are not larger). */
export function shardRange(n: number, replicas: number, k: number): [number, number] {
  return [Math.floor((k * n) / replicas), Math.floor(((k + 1) * n) / replicas)];
}

/**
 * Shard k of a batch (views, no copies). A batch smaller than the replica count leaves some shards empty: those
 * step on a stand-in (example 0) whose gradient and loss count for nothing (see exchange.ts), so every replica
 * still takes the same optimiser step.
 */
export function shardOf(batch: TrainBatch, replicas: number, k: number): TrainBatch {
  let [a, b] = shardRange(batch.users.length, replicas, k);
  if (a === b) [a, b] = [0, 1];
  const cut = <T extends Int32Array | Float32Array>(x: T | undefined): T | undefined => x?.subarray(a, b) as T | undefined;
  return { users: cut(batch.users)!, items: cut(batch.items)!, labels: cut(batch.labels), negItems: cut(batch.negItems), rows: cut(batch.rows) };
}
