/**
 * Two builds of the same commit are byte-identical. Here with gzip (fast);
 * `make package-check` compares two builds in the release formats (xz).
 */
import { describe, expect, test } from "bun:test";
import { buildPackages, packages, sha256 } from "./fixture.ts";

describe("reproducibility", () => {
  test.skipIf(process.env.PACKAGES_DIR !== undefined)(
    "a second build gives the same .deb and .rpm, byte for byte",
    async () => {
      const first = await packages();
      const second = await buildPackages();
      expect({ deb: sha256(second.deb), rpm: sha256(second.rpm) }).toEqual({
        deb: sha256(first.deb),
        rpm: sha256(first.rpm),
      });
    },
    300_000,
  );
});
