export { lineChart, barChart, scatterChart, histogram, layoutFor } from "./figure";
export type { Figure, Trace, Series, ChartOptions } from "./figure";
export { figureToHtml, saveHtml } from "./html";
export { figureToPng, savePng, closeRenderer, findChromium } from "./png";
export type { PngOptions } from "./png";
export { show } from "./display";
export type { ShowOptions } from "./display";
