/**
 * The environment of a hook (spec core.md §5.4, plus the variables upstream
 * documents but never sets: `DRBD_OLD_OPEN`/`DRBD_NEW_OPEN` for devices,
 * `DRBD_OLD_CONGESTED`/`DRBD_NEW_CONGESTED` for connections, `DRBD_VOLUME`
 * for peer devices; and the variables of helper rules).
 *
 * Values: enum names as DRBD prints them (`UpToDate`), booleans `true` /
 * `false`, integers in decimal, the backing device's path or `none`.
 *
 * Precedence, lowest first (a later source wins):
 * 1. {@link BASE_ENV}: `PATH`, `HOME`, `TERM`;
 * 2. the rule's `env` (may replace `PATH`, `HOME`, `TERM`);
 * 3. the `DRBD_*` variables of the update (the config refuses `DRBD_*`
 *    names in `env`, so nothing can shadow them).
 * Nothing is inherited from the daemon's own environment.
 *
 * @module
 */
import type { Resource } from "../../src/drbd/types.ts";
import type { PluginUpdate } from "../../src/core/updates.ts";

/** The base environment every hook starts from. */
export const BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  PATH: "/sbin:/usr/sbin:/bin:/usr/bin",
  HOME: "/",
  TERM: "linux",
});

const text = (b: boolean | number): string => String(b);

/**
 * `DRBD_MINOR`, `DRBD_MINOR_<vol>`, `DRBD_BACKING_DEV`, `DRBD_BACKING_DEV_<vol>`
 * of the local device `volume`, when the snapshot has it (a destroyed device
 * has none).
 */
function addLocalDevice(env: Record<string, string>, resource: Resource, volume: number): void {
  const device = resource.devices.get(volume);
  if (device === undefined) return;
  const minor = String(device.minor);
  const backing = device.backingDev ?? "none";
  env.DRBD_MINOR = minor;
  env[`DRBD_MINOR_${volume}`] = minor;
  env.DRBD_BACKING_DEV = backing;
  env[`DRBD_BACKING_DEV_${volume}`] = backing;
}

/**
 * The `DRBD_*` variables describing `update` (no base, no rule `env`).
 * A rename update has none.
 */
export function updateVariables(update: PluginUpdate): Record<string, string> {
  switch (update.kind) {
    case "resource":
      return {
        DRBD_RES_NAME: update.resourceName,
        DRBD_OLD_ROLE: update.old.role,
        DRBD_NEW_ROLE: update.new.role,
        DRBD_OLD_MAY_PROMOTE: text(update.old.mayPromote),
        DRBD_NEW_MAY_PROMOTE: text(update.new.mayPromote),
      };
    case "device": {
      const env: Record<string, string> = {
        DRBD_RES_NAME: update.resourceName,
        DRBD_VOLUME: text(update.volume),
        DRBD_OLD_DISK_STATE: update.old.diskState,
        DRBD_NEW_DISK_STATE: update.new.diskState,
        DRBD_OLD_CLIENT: text(update.old.client),
        DRBD_NEW_CLIENT: text(update.new.client),
        DRBD_OLD_QUORUM: text(update.old.quorum),
        DRBD_NEW_QUORUM: text(update.new.quorum),
        DRBD_OLD_OPEN: text(update.old.open),
        DRBD_NEW_OPEN: text(update.new.open),
      };
      addLocalDevice(env, update.resource, update.volume);
      return env;
    }
    case "peer-device": {
      const env: Record<string, string> = {
        DRBD_RES_NAME: update.resourceName,
        DRBD_PEER_NODE_ID: text(update.peerNodeId),
        DRBD_VOLUME: text(update.volume),
        DRBD_OLD_PEER_REPLICATION_STATE: update.old.replicationState,
        DRBD_NEW_PEER_REPLICATION_STATE: update.new.replicationState,
        DRBD_OLD_PEER_DISK_STATE: update.old.peerDiskState,
        DRBD_NEW_PEER_DISK_STATE: update.new.peerDiskState,
        DRBD_OLD_PEER_CLIENT: text(update.old.peerClient),
        DRBD_NEW_PEER_CLIENT: text(update.new.peerClient),
        DRBD_OLD_PEER_RESYNC_SUSPENDED: text(update.old.resyncSuspended),
        DRBD_NEW_PEER_RESYNC_SUSPENDED: text(update.new.resyncSuspended),
      };
      // The local device of that volume (by design: the peer's disk has no path here).
      addLocalDevice(env, update.resource, update.volume);
      return env;
    }
    case "connection":
      return {
        DRBD_RES_NAME: update.resourceName,
        DRBD_PEER_NODE_ID: text(update.peerNodeId),
        DRBD_CSTATE: update.new.connectionState,
        DRBD_OLD_CONN_NAME: update.old.connName,
        DRBD_NEW_CONN_NAME: update.new.connName,
        DRBD_OLD_CONN_STATE: update.old.connectionState,
        DRBD_NEW_CONN_STATE: update.new.connectionState,
        DRBD_OLD_PEER_ROLE: update.old.peerRole,
        DRBD_NEW_PEER_ROLE: update.new.peerRole,
        DRBD_OLD_CONGESTED: text(update.old.congested),
        DRBD_NEW_CONGESTED: text(update.new.congested),
      };
    case "helper": {
      const env: Record<string, string> = {
        DRBD_RES_NAME: update.resourceName,
        DRBD_HELPER: update.helper,
      };
      if (update.peerNodeId !== null) env.DRBD_PEER_NODE_ID = text(update.peerNodeId);
      if (update.volume !== null) env.DRBD_VOLUME = text(update.volume);
      // The line's minor:, else the minor of the local device of that volume.
      const minor = update.minor ?? (update.volume !== null ? update.resource.devices.get(update.volume)?.minor : undefined);
      if (minor !== undefined) env.DRBD_MINOR = text(minor);
      if (update.event === "response" && update.status !== null) env.DRBD_HELPER_STATUS = text(update.status);
      return env;
    }
    case "rename":
      return {};
  }
}

/**
 * The complete environment of a hook for `update`: {@link BASE_ENV}, then
 * the rule's `env`, then {@link updateVariables}.
 */
export function hookEnv(ruleEnv: Readonly<Record<string, string>>, update: PluginUpdate): Record<string, string> {
  return { ...BASE_ENV, ...ruleEnv, ...updateVariables(update) };
}
