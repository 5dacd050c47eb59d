/**
 * Live progress for long work (downloads, epochs): one line that updates in place.
 * - In a tslab notebook: an updating display (the line is rewritten, not appended).
 * - In a terminal: stderr with a carriage return.
 * - In logs (stderr not a TTY, e.g. CI): at most one line every few seconds, plus the final line.
 * `log(line)` writes a permanent line (e.g. one per epoch) in all three cases.
 */

export interface Progress {
  /** Replace the live line. */
  update(line: string): void;
  /** Write a permanent line (the live line, if any, stays above it in a notebook). */
  log(line: string): void;
  /** Finish: the final state of the live line, kept. */
  done(line?: string): void;
}

interface TslabDisplay {
  text(s: string): void;
}

function notebookDisplay(): TslabDisplay | null {
  try {
    // tslab keeps the current cell's display writer here while a cell executes (see viz/display.ts).
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: unknown };
    if (!jupyter.lastWriteDisplayData) return null;
    return (require("tslab") as { newDisplay(): TslabDisplay }).newDisplay();
  } catch {
    return null;
  }
}

export interface ProgressOptions {
  /** Where terminal output goes. Default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Minimum seconds between lines when the stream is not a TTY. Default 5. */
  logIntervalSeconds?: number;
  /** No output at all (progress still callable). */
  silent?: boolean;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  if (options.silent) return { update() {}, log() {}, done() {} };
  const display = notebookDisplay();
  if (display) {
    // At most one redraw a second: each redraw is a message on the kernel's socket, and a synchronous training loop
    // that sends faster than the socket drains makes tslab's zeromq socket fail with EBUSY (seen on ML-100K epochs).
    let last = "";
    let sentAt = 0;
    return {
      update(line) {
        last = line;
        const now = Date.now();
        if (now - sentAt < 1000) return;
        sentAt = now;
        display.text(line);
      },
      log(line) {
        console.log(line);
      },
      done(line) {
        display.text(line ?? last);
      },
    };
  }
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) {
    let width = 0;
    const clear = () => {
      if (width) stream.write(`\r${" ".repeat(width)}\r`);
      width = 0;
    };
    return {
      update(line) {
        const pad = Math.max(0, width - line.length);
        stream.write(`\r${line}${" ".repeat(pad)}`);
        width = line.length;
      },
      log(line) {
        clear();
        stream.write(`${line}\n`);
      },
      done(line) {
        if (line !== undefined) this.update(line);
        if (width) stream.write("\n");
        width = 0;
      },
    };
  }
  const interval = (options.logIntervalSeconds ?? 5) * 1000;
  let lastWrite = 0;
  let pending: string | undefined;
  return {
    update(line) {
      pending = line;
      const now = Date.now();
      if (now - lastWrite >= interval) {
        stream.write(`${line}\n`);
        lastWrite = now;
        pending = undefined;
      }
    },
    log(line) {
      pending = undefined;
      stream.write(`${line}\n`);
    },
    done(line) {
      const final = line ?? pending;
      if (final !== undefined) stream.write(`${final}\n`);
      pending = undefined;
    },
  };
}
