import type { DeploymentContext, HookRunResult } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { STAGE } from '../../lib/core/hooks.js';
import type { Plugin, PluginHost } from '../../lib/core/plugins.js';

export interface MemoryRuntimeOptions {
  failBuild?: boolean;
  crash?: boolean;
  hook?: Partial<HookRunResult>;
  /** Called while the hook "runs". */
  onHook?: (ctx: DeploymentContext) => Promise<void> | void;
}

/** A runtime that keeps everything in memory, for Deployer and plugin tests. */
export function memoryRuntime(options: MemoryRuntimeOptions = {}): Plugin & { calls: string[] } {
  const calls: string[] = [];
  return {
    name: 'memory-runtime',
    calls,
    apply(deployer: PluginHost) {
      const name = 'memory-runtime';
      deployer.hooks.build.tapPromise({ name, stage: STAGE.RUNTIME }, async (ctx) => {
        calls.push('build');
        ctx.log('build', 'building in memory');
        if (options.failBuild) throw new SlipwayError('BUILD_FAILED', 'build command exited with status 1');
        return { runtime: 'memory', release: ctx.release };
      });
      deployer.hooks.startContainers.tapPromise({ name, stage: STAGE.RUNTIME }, async (ctx) => {
        calls.push('start');
        if (options.crash) throw new SlipwayError('START_CRASHED', 'web-1 exited with status 1 before listening');
        return {
          processes: [{ type: 'web', index: 1, name: 'web-1', id: `mem-${ctx.release}`, port: 40000 + ctx.release }],
          upstreams: [{ host: '127.0.0.1', port: 40000 + ctx.release }],
        };
      });
      deployer.hooks.postdeploy.tapPromise({ name, stage: STAGE.RUNTIME }, async (ctx) => {
        if (!ctx.procfile.processes.postdeploy) return;
        calls.push('postdeploy');
        await options.onHook?.(ctx);
        ctx.hook = { exitCode: 0, reason: 'exit', durationMs: 1, ...options.hook };
        if (ctx.hook.exitCode !== 0) {
          throw new SlipwayError('HOOK_FAILED', `postdeploy exited with status ${ctx.hook.exitCode}`);
        }
      });
      deployer.hooks.failed.tapPromise({ name, stage: STAGE.RUNTIME }, async () => {
        calls.push('cleanup');
      });
    },
  };
}
