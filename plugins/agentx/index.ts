/**
 * The agentx plugin: an AgentX (RFC 2741) subagent that serves
 * LINBIT-DRBD-MIB (1.3.6.1.4.1.23302) to a net-snmp master, computed from
 * the shared state when asked and cached as upstream does. See README.md.
 *
 * @module
 */
import { readDrbdVersions } from "../../src/drbd/version.ts";
import type { Plugin, PluginFactory } from "../plugin.ts";
import { formatAgentxAddress, parseAgentxAddress } from "./address.ts";
import { type AgentxConfig, agentxSchema } from "./config.ts";
import { MibView } from "./mib-view.ts";
import { AgentxSession } from "./session.ts";

/** `[[agentx]]`. */
export const agentxPlugin: PluginFactory<AgentxConfig> = {
  kind: "agentx",
  schema: agentxSchema,
  wants: "snapshots",
  async create(config, ctx): Promise<Plugin> {
    const address = parseAgentxAddress(config.address);
    if ("error" in address) throw new Error(`address "${config.address}": ${address.error}`);
    const versions = await readDrbdVersions();
    const mib = new MibView({
      store: ctx.store,
      versions,
      peerStates: config["peer-states"],
      cacheMaxMs: config["cache-max"] * 1000,
      onError: (message) => ctx.log.error(message),
    });
    const session = new AgentxSession({ address, agentTimeout: config["agent-timeout"], mib, log: ctx.log });
    ctx.log.info(
      `connecting to the AgentX master at ${formatAgentxAddress(address)} (drbd ${versions.kmod}, utils ${versions.utils}, cache-max ${config["cache-max"]} s, peer-states ${config["peer-states"]})`,
    );
    session.start();
    return {
      async stop() {
        await session.stop();
      },
    };
  },
};
