/** The package's own version, read from package.json (one level above dist/ and lib/). */
export const VERSION: string = (require("../package.json") as { version: string }).version;
