/**
 * The Worker entry point: the Hono admin app answers `fetch`, the cron jobs answer
 * `scheduled`, and the feed Durable Object class is exported for its binding.
 */
import { Hono } from "hono";

export { FeedObject } from "./feed/feed-object.ts";

const app = new Hono<{ Bindings: Env }>();
app.get("/health", (c) => c.json({ ok: true }));

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
