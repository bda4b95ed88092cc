/**
 * The Worker entry point: the Hono admin app answers `fetch`, the cron jobs answer `scheduled`,
 * and the account Durable Object class is exported for its binding.
 */
import { accountFor, createAdminApp } from "./admin/app.ts";
import { runCron } from "./cron/schedule.ts";

export { AccountObject } from "./account/account-object.ts";

const app = createAdminApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runCron(controller.cron, accountFor(env)).then((done) =>
        console.log(JSON.stringify({ event: "cron", cron: controller.cron, ...done })),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
