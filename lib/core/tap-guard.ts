import type { DeploymentContext } from './context.js';
import { isSlipwayError, SlipwayError } from './errors.js';
import { type HookName, type Hooks, hookRules } from './hooks.js';
import type { ResolvedConfig } from './types.js';
import { formatDuration } from './units.js';

interface GuardedTap {
  name: string;
  type: 'sync' | 'async' | 'promise';
  fn: (...args: unknown[]) => unknown;
  timeout?: number;
}

/** Wraps whatever a tap threw so the hook and plugin are named and the original kept. */
export function wrapTapError(hook: HookName, plugin: string, error: unknown): SlipwayError {
  if (isSlipwayError(error)) {
    // Runtime errors already carry a status and a message meant for users.
    if (error.data?.plugin) return error;
    return new SlipwayError(error.code, error.message, {
      cause: error.cause ?? error,
      location: error.location,
      status: error.status,
      details: error.details,
      data: { ...error.data, hook, plugin },
    });
  }
  // One line: a multi-line message (a stack, a vendor's page) stays in the cause, shown with --debug.
  const message = (error instanceof Error ? error.message : String(error)).split(/\r?\n/)[0]!.trim();
  return new SlipwayError('PLUGIN_FAILED', `plugin "${plugin}" failed in the ${hook} hook: ${message}`, {
    cause: error,
    data: { hook, plugin },
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, hook: HookName, plugin: string): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new SlipwayError(
            'PLUGIN_TIMEOUT',
            `plugin "${plugin}" did not finish the ${hook} hook within ${formatDuration(ms)}`,
            { data: { hook, plugin } },
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

function callTap(tap: GuardedTap, args: unknown[]): Promise<unknown> {
  if (tap.type === 'async') {
    return new Promise((resolve, reject) => {
      tap.fn(...args, (error: unknown, result: unknown) => (error ? reject(error) : resolve(result)));
    });
  }
  try {
    return Promise.resolve(tap.fn(...args));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Installs one interceptor per hook that wraps every tap: a per-tap time
 * limit, errors wrapped with hook and plugin name, and — for hooks that only
 * warn — failures turned into warnings on the deployment instead of errors.
 */
export function guardTaps(hooks: Hooks, config: () => ResolvedConfig): void {
  for (const name of Object.keys(hooks) as HookName[]) {
    const rule = hookRules[name];
    const hook = hooks[name] as unknown as {
      intercept(i: { register: (tap: GuardedTap) => GuardedTap }): void;
    };
    hook.intercept({
      register(tap) {
        const guarded = async (...args: unknown[]) => {
          const ms = tap.timeout ?? rule.tapTimeout(config());
          try {
            return await withTimeout(callTap(tap, args), ms, name, tap.name);
          } catch (error) {
            const wrapped = wrapTapError(name, tap.name, error);
            const ctx = args[0] as DeploymentContext;
            // Once switched (a routeSwitch tap after the core's), the deployment is a success whatever fails.
            if (rule.gating && ctx.status !== 'success') throw wrapped;
            ctx.warn({ hook: name, plugin: tap.name, code: wrapped.code, message: wrapped.message });
            return undefined;
          }
        };
        return { ...tap, type: 'promise', fn: guarded };
      },
    });
  }
}
