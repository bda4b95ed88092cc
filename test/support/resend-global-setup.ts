/**
 * vitest globalSetup of the workers project: starts the Resend stand-in
 * (`resend-stand-in.ts`) on a loopback port and `provide`s its base URL as `resendUrl`, which
 * the workerd tests read with `inject("resendUrl")` and pass to `sendEmail` as `baseUrl`.
 * Tests that share it use their own API keys (the stand-in keeps mail per key).
 */
import type { TestProject } from "vitest/node";
import { startResendStandIn } from "./resend-stand-in.ts";

declare module "vitest" {
  export interface ProvidedContext {
    resendUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const standIn = await startResendStandIn();
  project.provide("resendUrl", standIn.url);
  return () => standIn.close();
}
