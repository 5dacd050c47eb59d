#!/usr/bin/env node
/** The `recsys-lab` command: one subcommand per job, each printing one JSON object as its result on stdout. */
import { UsageError, usage } from "./commands/args";
import * as compare from "./commands/compare";
import * as data from "./commands/data";
import * as demo from "./commands/demo";
import * as evaluate from "./commands/evaluate";
import * as index from "./commands/index-build";
import * as info from "./commands/info";
import * as recommend from "./commands/recommend";
import * as serve from "./commands/serve";
import * as train from "./commands/train";
import * as worker from "./commands/worker";

interface Command {
  summary: string;
  options: import("./commands/args").OptionSpec[];
  run(argv: string[]): Promise<void>;
}

const COMMANDS: Record<string, Command> = { compare, demo, info, data, evaluate, train, index, recommend, serve, worker };

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    "Usage: recsys-lab <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width + 2)}${c.summary}`),
    "",
    "Run 'recsys-lab <command> --help' for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help() + "\n");
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`recsys-lab: unknown command '${name}'. Commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(usage(name, command.summary, command.options) + "\n");
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    process.stderr.write(`recsys-lab ${name}: ${(err as Error).message ?? String(err)}\n`);
    if (process.env.RECSYS_DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
