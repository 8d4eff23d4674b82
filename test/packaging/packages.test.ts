/**
 * The .deb and .rpm packages (issue 6): built once for the whole file (see
 * fixture.ts), checked by the modules imported below, and removed at the end.
 */
import { afterAll } from "bun:test";
import { removeScratch } from "./fixture.ts";
import "./deb.ts";
import "./rpm.ts";
import "./units.ts";
import "./reproducible.ts";

afterAll(removeScratch);
