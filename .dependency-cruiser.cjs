/**
 * The layout's rules (docs/architecture.md), checked by `npm run check:deps`
 * as part of `npm test`. Type-only imports count: a circle through types is
 * still a circle for a reader.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles between files, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-not-to-outside',
      severity: 'error',
      comment:
        'The core (lib/) knows runtimes, notifiers, compat modes and the CLI only through hooks and its registry (lib/core/registry.ts).',
      from: { path: '^lib/' },
      to: { path: '^(plugins|compat|cli|bin)/' },
    },
    {
      name: 'parts-not-to-cli',
      severity: 'error',
      comment: 'The CLI is the composition root: nothing imports it.',
      from: { path: '^(plugins|compat)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'router-standalone',
      severity: 'error',
      comment: 'The router is usable and testable without the agent: it imports nothing of slipway but itself.',
      from: { path: '^lib/router/' },
      to: { path: '^(lib|plugins|compat|cli)/', pathNot: '^lib/router/' },
    },
    {
      name: 'agent-internals-private',
      severity: 'error',
      comment:
        'Only the agent imports the agent: everything else talks to it through lib/control (client, protocol, paths).',
      from: { path: '^(lib/(core|config|control|dashboard|notifier|router)|plugins|compat|cli)/' },
      to: { path: '^lib/agent/' },
    },
    {
      name: 'core-below-parts',
      severity: 'error',
      comment: 'The core is the bottom layer: it imports no other part of lib/.',
      from: { path: '^lib/core/' },
      to: { path: '^lib/', pathNot: '^lib/core/' },
    },
    {
      name: 'config-and-procfile-below-agent',
      severity: 'error',
      comment: 'Reading config and Procfiles needs neither the agent, its client nor the router.',
      from: { path: '^lib/(config|procfile)/' },
      to: { path: '^lib/(agent|control|router|notifier)/' },
    },
    {
      name: 'dashboard-reads-through-its-source',
      severity: 'error',
      comment:
        'The dashboard sees the agent only through the DashboardSource the agent builds (lib/agent/dashboard-host.ts); it uses the core, control types and router types.',
      from: { path: '^lib/dashboard/' },
      to: { path: '^lib/', pathNot: '^lib/(dashboard|core|control|router)/' },
    },
    {
      name: 'dashboard-on-demand',
      severity: 'error',
      comment:
        'The agent loads the dashboard the first time it is asked for (a dynamic import), so an agent without one carries none of its code.',
      from: { path: '^lib/agent/' },
      to: { path: '^lib/dashboard/', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Every import resolves to a file or an installed package.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
