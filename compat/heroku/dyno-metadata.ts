export interface DynoMetadataInput {
  app: string;
  /** The app's stable id; left out when the control plane keeps none. */
  appId?: string;
  release: number;
  /** When the release was made: the deployment that makes it started then. */
  createdAt: Date;
  /** The revision deployed: Heroku's slug commit. */
  version: string;
  /** slipway's container name, `web-1`, `release-7`. */
  container: string;
}

/** `web-1` → `web.1`: Heroku names dynos `<type>.<n>`, slipway containers `<type>-<n>`. */
export function dynoName(container: string): string {
  const dash = container.lastIndexOf('-');
  return dash > 0 && /^\d+$/.test(container.slice(dash + 1))
    ? `${container.slice(0, dash)}.${container.slice(dash + 1)}`
    : container;
}

/**
 * Heroku's dyno metadata (the `runtime-dyno-metadata` lab, on by default on
 * most apps), so code written for Heroku finds what it reads there.
 * HEROKU_DYNO_ID is new for every container, as a dyno's is for every boot;
 * restarts of the same process keep it because its env is made once.
 */
export function dynoMetadata(input: DynoMetadataInput): Record<string, string> {
  return {
    HEROKU_APP_NAME: input.app,
    ...(input.appId ? { HEROKU_APP_ID: input.appId } : {}),
    HEROKU_RELEASE_VERSION: `v${input.release}`,
    HEROKU_RELEASE_CREATED_AT: input.createdAt.toISOString(),
    HEROKU_SLUG_COMMIT: input.version,
    HEROKU_SLUG_DESCRIPTION: `Deploy ${input.version.slice(0, 7)}`,
    // The global Web Crypto: node:crypto then loads only in heroku mode, not with every deploy.
    HEROKU_DYNO_ID: crypto.randomUUID(),
    DYNO: dynoName(input.container),
  };
}
