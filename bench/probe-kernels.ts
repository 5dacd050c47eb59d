/** Probe: cost of single kernels on the active backend at NeuMF shapes (prints one line per probe). */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend";
import { Rng } from "../lib/random";

function rand(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal() * 0.1), shape);
}
function run(f: () => unknown): void {
  tf.tidy(() => {
    f();
  });
}
function time(name: string, f: () => unknown, reps = 100): void {
  for (let i = 0; i < 5; i++) run(f);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run(f);
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  console.log(`${name.padEnd(52)} ${(best * 1000).toFixed(1).padStart(9)} us`);
}

async function main() {
  await initBackend();
  const only = process.argv[2];
  console.log("backend", tf.getBackend());
  const rng = new Rng(1);
  const s1 = tf.scalar(1), s2 = tf.scalar(2);
  time("add scalar+scalar", () => tf.add(s1, s2), 2000);
  time("reshape", () => tf.reshape(s1, [1, 1]), 2000);
  const N = 108000;
  const big = rand([N], rng), big2 = rand([N], rng);
  time(`mul [${N}]`, () => tf.mul(big, big2));
  time(`add [${N}]`, () => tf.add(big, big2));
  time(`mul scalar [${N}]`, () => tf.mul(big, s2));
  time(`sqrt [${N}]`, () => tf.sqrt(big2));
  time(`div [${N}]`, () => tf.div(big, big2));
  time(`square [${N}]`, () => tf.square(big));
  time(`concat 1-D 10 pieces -> [${N}]`, () => tf.concat([big.slice(0, N - 9000), ...Array.from({ length: 9 }, () => big2.slice(0, 1000))]));
  time(`slice 1-D contiguous [${N}]->100000`, () => big.slice(0, 100000));
  time(`split 1-D 10 pieces [${N}]`, () => tf.split(big, [N - 9000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]));
  for (const B of only ? [Number(only)] : [1024, 4096]) {
    const rows = 943 + 1682;
    const table = rand([rows, 40], rng);
    const ids = tf.tensor3d(Int32Array.from({ length: 2 * B }, () => rng.int(rows)), [B, 2, 1], "int32");
    const ids1 = tf.tensor2d(Int32Array.from({ length: B }, () => rng.int(rows)), [B, 1], "int32");
    const x80 = rand([B, 80], rng), x32 = rand([B, 32], rng), x8 = rand([B, 8], rng), x40 = rand([B, 40], rng);
    const x3 = x80.reshape([B, 2, 40]);
    const w80 = rand([80, 32], rng), w32 = rand([32, 16], rng), b32 = rand([32], rng), w64 = rand([64, 32], rng);
    const x64 = rand([B, 64], rng);
    const d1 = rand([B, 1], rng);
    time(`B=${B} gatherND [${rows},40] ids [B,2,1]`, () => tf.gatherND(table, ids));
    time(`B=${B} gatherND [${rows},40] ids [B,1]`, () => tf.gatherND(table, ids1));
    time(`B=${B} scatterND [B,2,40] -> [${rows},40]`, () => tf.scatterND(ids, x3, [rows, 40]));
    time(`B=${B} fused matMul+bias+relu [B,80]x[80,32]`, () => tf.fused.matMul({ a: x80, b: w80, bias: b32, activation: "relu" }));
    time(`B=${B} matMul [B,80]x[80,32]`, () => tf.matMul(x80, w80));
    time(`B=${B} matMul [B,64]x[64,32]`, () => tf.matMul(x64, w64));
    time(`B=${B} matMul [B,32]x[32,16]`, () => tf.matMul(x32, w32));
    time(`B=${B} transpose [B,80]`, () => tf.transpose(x80));
    time(`B=${B} transpose [B,32]`, () => tf.transpose(x32));
    const x80T = tf.transpose(x80), x32T = tf.transpose(x32);
    time(`B=${B} matMul [80,B]x[B,32] (dW)`, () => tf.matMul(x80T, x32));
    time(`B=${B} matMul [32,B]x[B,80] (dW^T)`, () => tf.matMul(x32T, x80));
    time(`B=${B} matMul [1,B]x[B,8]`, () => tf.matMul(d1.reshape([1, B]), x8));
    time(`B=${B} matMul [B,1]x[1,8] (outer)`, () => tf.matMul(d1, x8.slice([0, 0], [1, 8])));
    const w80T = tf.transpose(w80);
    time(`B=${B} matMul [B,32]x[32,80] (dx)`, () => tf.matMul(x32, w80T));
    time(`B=${B} mul [B,32]`, () => tf.mul(x32, x32));
    time(`B=${B} mul [B,32]x[B,1] bcast`, () => tf.mul(x32, d1));
    time(`B=${B} mul [B,32]x[32] bcast`, () => tf.mul(x32, b32));
    time(`B=${B} add [B,32]`, () => tf.add(x32, x32));
    time(`B=${B} relu [B,32]`, () => tf.relu(x32));
    time(`B=${B} step [B,32]`, () => tf.step(x32));
    time(`B=${B} greater [B,32] scalar`, () => tf.greater(x32, s1));
    time(`B=${B} sum axis0 [B,32]`, () => tf.sum(x32, 0));
    time(`B=${B} sum axis1 [B,32]`, () => tf.sum(x32, 1));
    time(`B=${B} prod axis1 [B,2,40]`, () => tf.prod(x3, 1));
    time(`B=${B} reverse axis1 [B,2,40]`, () => tf.reverse(x3, 1));
    time(`B=${B} mul [B,2,40]x[B,1,40] bcast`, () => tf.mul(x3, x40.reshape([B, 1, 40])));
    time(`B=${B} concat axis1 [B,40]+[B,40]`, () => tf.concat([x40, x40], 1));
    time(`B=${B} sigmoid [B]`, () => tf.sigmoid(d1));
    time(`B=${B} softplus [B]`, () => tf.softplus(d1));
    time(`B=${B} sum [B] -> scalar`, () => tf.sum(d1));
  }
}
main();
