/**
 * A real dynamic `import()`, for code slipway does not bundle: a plugin
 * package or a config module of the app, which may be an ES module with
 * top-level await. The CLI is bundled as CommonJS (scripts/bundle-cli.mjs),
 * where every `import()` the bundler sees becomes a `require()`; this one it
 * does not see (scripts/bundle-cli.mjs, which refuses any other import() in
 * a bundle, knows this one by its text: keep the two in step).
 */
export const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<Record<string, unknown>>;
