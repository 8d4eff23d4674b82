/**
 * The prometheus plugin: a `/metrics` endpoint with DRBD metrics, computed
 * from the shared state when scraped and cached until the state changes.
 * See README.md for every metric.
 *
 * @module
 */
import type { Plugin, PluginFactory } from "../plugin.ts";
import { readDrbdVersions } from "../../src/drbd/version.ts";
import { type ListenAddress, parseAddress } from "./address.ts";
import { CachedExposition } from "./collector.ts";
import { type PrometheusConfig, prometheusSchema } from "./config.ts";
import { metricsHandler } from "./handler.ts";

/** Longest request accepted (a scrape request has no body). */
const MAX_REQUEST_BODY = 16 * 1024;

type Server = ReturnType<typeof Bun.serve>;

/** Listen on `address`; `:port` tries `[::]` (dual stack) and then `0.0.0.0`. Throws naming the address and the reason. */
export function listen(address: ListenAddress, text: string, fetch: (req: Request) => Promise<Response>): Server {
  const attempt = (hostname: string): Server =>
    Bun.serve({ hostname, port: address.port, fetch, maxRequestBodySize: MAX_REQUEST_BODY, idleTimeout: 30 });
  try {
    if (address.kind === "ip") return attempt(address.host);
    try {
      return attempt("::");
    } catch {
      return attempt("0.0.0.0");
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === "EADDRINUSE"
        ? "the port is in use"
        : err.code === "EADDRNOTAVAIL"
          ? "the address is not on this machine"
          : err.code === "EACCES"
            ? "permission denied"
            : err.message;
    throw new Error(`cannot listen on "${text}": ${reason}${err.code ? ` (${err.code})` : ""}`);
  }
}

/** `[[prometheus]]`. */
export const prometheusPlugin: PluginFactory<PrometheusConfig> = {
  kind: "prometheus",
  schema: prometheusSchema,
  wants: "snapshots",
  async create(config, ctx): Promise<Plugin> {
    const address = parseAddress(config.address);
    if ("error" in address) throw new Error(`address "${config.address}": ${address.error}`);
    const versions = await readDrbdVersions();
    const exposition = new CachedExposition({ store: ctx.store, core: ctx.core, versions, enums: config.enums });
    const server = listen(address, config.address, metricsHandler(exposition));
    ctx.log.info(`serving metrics on http://${server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname}:${server.port}/metrics (drbd ${versions.kmod}, utils ${versions.utils})`);
    return {
      async stop() {
        await server.stop(true);
      },
    };
  },
};
