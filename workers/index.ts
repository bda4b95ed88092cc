/**
 * The Worker entry point: the Hono admin app answers `fetch`, the cron jobs answer
 * `scheduled`, and the feed Durable Object class is exported for its binding.
 */
import { accountFor, createAdminApp } from "./admin/app.ts";
import { feedKeepAlive, jobFor } from "./cron/schedule.ts";

export { AccountObject } from "./account/account-object.ts";

const app = createAdminApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    const job = jobFor(controller.cron);
    switch (job) {
      case "feedKeepAlive":
        ctx.waitUntil(feedKeepAlive(accountFor(env)));
        return;
      default:
        console.error(`cron: no job for schedule ${JSON.stringify(controller.cron)}`);
    }
  },
} satisfies ExportedHandler<Env>;
