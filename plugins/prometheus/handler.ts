/**
 * The HTTP side of the prometheus plugin as a pure handler,
 * `(Request) => Promise<Response>`, tested in-process without sockets.
 *
 * - `GET`/`HEAD` on `/metrics` and `/` (upstream answers any path; its
 *   tests scrape `/`): the exposition, OpenMetrics when the client's
 *   `Accept` asks for `application/openmetrics-text`, else text 0.0.4.
 * - Other paths: 404. Other methods: 405 with `Allow: GET, HEAD`.
 *
 * @module
 */
import { CONTENT_TYPES, type ExpositionFormat } from "./collector.ts";

/** Where the exposition comes from. */
export interface ExpositionProvider {
  text(format: ExpositionFormat): Promise<string>;
}

const PATHS = new Set(["/metrics", "/"]);

/** The format a client asked for. */
export function negotiate(accept: string | null): ExpositionFormat {
  return accept !== null && /application\/openmetrics-text/i.test(accept) ? "openmetrics" : "text";
}

/** Build the handler. */
export function metricsHandler(exposition: ExpositionProvider): (req: Request) => Promise<Response> {
  return async (req) => {
    const path = new URL(req.url).pathname;
    if (!PATHS.has(path)) return new Response("not found: scrape /metrics\n", { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
    }
    const format = negotiate(req.headers.get("accept"));
    const body = await exposition.text(format);
    const headers = { "Content-Type": CONTENT_TYPES[format] };
    return new Response(req.method === "HEAD" ? null : body, { status: 200, headers });
  };
}
