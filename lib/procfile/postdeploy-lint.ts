/**
 * The postdeploy command runs in its own one-off process with its own copy of
 * the release: anything it writes to disk is thrown away with it and never
 * reaches the web processes. Asset builds there "succeed" and then serve stale
 * or missing files, so spot the usual build tools and say where builds belong.
 */

// A command word starts the command or follows a separator, a path or a runner.
const START = String.raw`(?:^|[\s;&|(/])`;
const END = String.raw`(?=$|[\s;&|)])`;

const ASSET_BUILDS: readonly RegExp[] = [
  /(?:npm|pnpm|yarn|bun)\s+run\s+build(?::[\w:-]+)?/,
  /(?:yarn|pnpm|bun)\s+build(?::[\w:-]+)?/,
  /(?:vite|next|nuxt|nuxi|astro|ng|parcel|remix|svelte-kit|react-scripts|vue-cli-service)\s+build/,
  /webpack(?:-cli)?/,
  /esbuild/,
  /rollup/,
  /gulp/,
  /grunt/,
  /tailwindcss/,
  /tsc(?![^;&|]*--noEmit)/,
  /(?:rake|rails)\s+assets:precompile/,
  /manage\.py\s+collectstatic/,
  /mix\s+assets\.deploy/,
].map((re) => new RegExp(`${START}(${re.source})${END}`));

/** A warning when `command` looks like an asset build, else undefined. */
export function lintPostdeploy(command: string): string | undefined {
  for (const re of ASSET_BUILDS) {
    const match = re.exec(command);
    if (!match) continue;
    return (
      `the postdeploy command runs "${match[1]}", which looks like an asset build: ` +
      'files it writes stay in its one-off process and are never seen by the web processes; ' +
      'put builds in the `build` setting instead'
    );
  }
  return undefined;
}
