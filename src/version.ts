/**
 * The version, from package.json (bundled into the binary at build time).
 *
 * @module
 */
import pkg from "../package.json" with { type: "json" };

/** The project version, e.g. `0.1.0`. */
export const VERSION: string = pkg.version;
