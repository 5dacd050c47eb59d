/**
 * Figure -> PNG with headless Chromium (playwright-core drives the system's Chromium; no browser download).
 * One browser is started lazily and reused for every figure of the process, so the second figure costs a few
 * hundred milliseconds instead of a browser start.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Figure } from "./figure";
import { plotlyBundlePath } from "./plotly-source";

const CHROMIUM_CANDIDATES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

// Without the networking flags Chromium keeps trying to reach Google's services, which a closed network refuses.
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The Chromium executable: RECSYS_CHROMIUM, else the first of the usual install paths; null if none. */
export function findChromium(): string | null {
  const fromEnv = process.env.RECSYS_CHROMIUM;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`RECSYS_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  return CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

type Page = import("playwright-core").Page;
type Context = import("playwright-core").BrowserContext;

let session: Promise<{ context: Context; page: Page; profile: string }> | undefined;

async function startSession(): Promise<{ context: Context; page: Page; profile: string }> {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      "PNG export needs Chromium and none was found. Debian/Ubuntu: apt-get install -y chromium; elsewhere install Chrome or Chromium and set RECSYS_CHROMIUM to its executable.",
    );
  }
  const { chromium } = await import("playwright-core");
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "recsys-lab-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: CHROMIUM_FLAGS });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.setContent("<!DOCTYPE html><html><body></body></html>");
  await page.addScriptTag({ path: plotlyBundlePath() });
  return { context, page, profile };
}

export interface PngOptions {
  /** Pixel width; default the figure's layout.width or 720. */
  width?: number;
  /** Pixel height; default the figure's layout.height or 420. */
  height?: number;
  /** Device scale factor (2 gives crisp images on high-DPI screens). Default 1. */
  scale?: number;
}

/** Render a figure to PNG bytes. */
export async function figureToPng(figure: Figure, options: PngOptions = {}): Promise<Buffer> {
  session ??= startSession().catch((err) => {
    session = undefined;
    throw err;
  });
  const { page } = await session;
  const layout = figure.layout ?? {};
  const width = options.width ?? (layout.width as number | undefined) ?? 720;
  const height = options.height ?? (layout.height as number | undefined) ?? 420;
  const dataUrl = await page.evaluate(
    async ({ data, layout, width, height, scale }) => {
      const P = (globalThis as unknown as { Plotly: { toImage(f: unknown, o: unknown): Promise<string> } }).Plotly;
      return P.toImage({ data, layout }, { format: "png", width, height, scale });
    },
    { data: figure.data, layout, width, height, scale: options.scale ?? 1 },
  );
  const prefix = "data:image/png;base64,";
  if (!dataUrl.startsWith(prefix)) throw new Error(`Plotly.toImage returned an unexpected value: ${dataUrl.slice(0, 40)}`);
  return Buffer.from(dataUrl.slice(prefix.length), "base64");
}

/** Write a figure as a PNG file (atomically). */
export async function savePng(figure: Figure, file: string, options: PngOptions = {}): Promise<string> {
  const png = await figureToPng(figure, options);
  const out = path.resolve(file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, png);
  fs.renameSync(tmp, out);
  return out;
}

/** Close the shared browser (call before a script ends so the process can exit). */
export async function closeRenderer(): Promise<void> {
  const s = session;
  session = undefined;
  if (!s) return;
  const { context, profile } = await s.catch(() => ({ context: null, profile: null }));
  await context?.close();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
}
