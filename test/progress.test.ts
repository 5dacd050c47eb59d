import { test } from "node:test";
import assert from "node:assert/strict";
import { createProgress } from "../lib/progress";

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = { isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join("") };
}

test("in a terminal the live line is rewritten in place and log lines are permanent", () => {
  const { stream, text } = fakeStream(true);
  const p = createProgress({ stream });
  p.update("epoch 1 [10%]");
  p.update("epoch 1 [100%]");
  p.log("epoch 1: loss 0.5");
  p.update("epoch 2 [5%]");
  p.done("epoch 2 [100%]");
  // Carriage returns rewrite the line; the permanent line ends with a newline; done() ends the live line.
  assert.equal(
    text(),
    "\repoch 1 [10%]" + "\repoch 1 [100%]" + "\r" + " ".repeat(14) + "\r" + "epoch 1: loss 0.5\n" + "\repoch 2 [5%]" + "\repoch 2 [100%]" + "\n",
  );
});

test("in a log (not a TTY) updates are throttled, permanent lines and the final line always appear", () => {
  const { stream, text } = fakeStream(false);
  const p = createProgress({ stream, logIntervalSeconds: 3600 });
  p.update("step 1"); // first update is written (nothing written yet)
  p.update("step 2"); // throttled
  p.update("step 3"); // throttled
  p.log("epoch 1 done");
  p.update("step 4"); // throttled
  p.done();
  assert.equal(text(), "step 1\nepoch 1 done\nstep 4\n");
});

test("silent progress writes nothing", () => {
  const { stream, text } = fakeStream(true);
  const p = createProgress({ stream, silent: true });
  p.update("x");
  p.log("y");
  p.done("z");
  assert.equal(text(), "");
});
