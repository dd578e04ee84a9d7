import type { z } from 'zod';
import type { DeploymentContext } from '../core/context.js';
import { SlipwayError } from '../core/errors.js';
import { STAGE } from '../core/hooks.js';
import type { Plugin, PluginHost } from '../core/plugins.js';
import { wrapTapError } from '../core/tap-guard.js';
import { formatDuration } from '../core/units.js';
import { applyEnvDefaults, type EnvNames, missingOptions, type OptionIssue } from './env-defaults.js';
import { DEFAULT_POLICY, type NotifyRequest, type NotifyResponse, notifyFetch } from './http.js';
import type { NotifierCommonOptions } from './options.js';
import { MAX_RETRY_AFTER_MS } from './retry.js';
import { secretMasker, secretVariants } from './secrets.js';

/** Room past the retry budget, so a request's own timeout reports before the hook's limit does. */
const BUDGET_MARGIN_MS = 5_000;

/** Where in the deployment a notifier is called. */
export type Moment = 'started' | 'gate' | 'succeeded' | 'failed' | 'done';

export interface VendorRequest extends NotifyRequest {
  /** What is sent, for the log line: "deploy marker for version abc123". */
  what: string;
  /** The vendor's id for what it created, for the log line. */
  id?: (response: NotifyResponse) => unknown;
}

/** What a notifier's handler gets for one call. */
export interface NotifyRun {
  readonly ctx: DeploymentContext;
  readonly moment: Moment;
  /** The failure, on `failed` and on `done` after a failure. */
  readonly error: SlipwayError | null;
  /** Masks the notifier's secrets and the app's env values. */
  mask(text: string): string;
  /** Sends with the notifier's timeout and retries, and logs what went where. */
  send(request: VendorRequest): Promise<NotifyResponse>;
}

export type NotifyHandler = (run: NotifyRun) => Promise<void>;

/** A notifier: its secrets and what it does at each moment of a deployment. */
export interface Notifier {
  secrets: ReadonlyArray<string | undefined>;
  /** Requests a handler makes one after the other (default 1), for its time budget. */
  calls?: number;
  /** When the deployment starts (Rollbar's `started`). Only warns. */
  started?: NotifyHandler;
  /** After the switch; with `required`, at the gate instead. */
  succeeded?: NotifyHandler;
  /** After a failure, for vendors with a failure state. */
  failed?: NotifyHandler;
  /** With `required`, when it differs from `succeeded`. */
  gate?: NotifyHandler;
  /** Every finished deployment, after `succeeded`/`failed`. */
  done?: NotifyHandler;
}

export interface NotifierDefinition<Schema extends z.ZodObject> {
  name: string;
  /** Strict options (see `notifierSchema`); values read from env are checked by it too. */
  schema: Schema;
  /** Env variable that supplies each option the user left out. */
  env?: EnvNames<z.output<Schema>>;
  /**
   * Options that must end up set, from the options or the env. `given` holds
   * the options the user wrote, for notifiers whose mode they choose.
   */
  requires?: (options: z.output<Schema>, given: ReadonlySet<string>) => ReadonlyArray<keyof z.output<Schema> & string>;
  create(options: z.output<Schema>, given: ReadonlySet<string>): Notifier;
}

/** A plugin factory (see `PluginFactory`) whose `optionsSchema` is the zod schema. */
export type NotifierFactory<Schema extends z.ZodObject> = ((options: z.input<Schema>) => Plugin) & {
  optionsSchema: Schema;
};

interface SecretSink {
  addSecret(value: string): void;
}

function definedKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

function optionsError(name: string, issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>) {
  const text = issues.map((i) => `${['options', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
  return new SlipwayError('PLUGIN_OPTIONS', `"${name}": ${text}`, { data: { plugin: name } });
}

/**
 * Builds a notifier plugin factory: options validated strictly with env
 * defaults, secrets masked everywhere, and the notifier's handlers tapped at
 * the right moments (`required` moves the success call to the gate).
 */
export function defineNotifier<Schema extends z.ZodObject>(def: NotifierDefinition<Schema>): NotifierFactory<Schema> {
  type Options = z.output<Schema>;
  const names = (def.env ?? {}) as EnvNames<Options>;
  const shape = def.schema.shape as Record<string, z.ZodType>;
  const resolve = (parsed: Options) => {
    const given = definedKeys(parsed);
    const { options, issues } = applyEnvDefaults(shape, given as Options, names, process.env);
    const keys = new Set(Object.keys(given));
    const missing = missingOptions(options, def.requires?.(options, keys) ?? [], names);
    return { options, given: keys, issues: [...issues, ...missing] as OptionIssue[] };
  };
  const optionsSchema = def.schema.superRefine((value, check) => {
    for (const issue of resolve(value as Options).issues) check.addIssue({ code: 'custom', ...issue });
  }) as Schema;

  const factory = (input: z.input<Schema>): Plugin => {
    const parsed = optionsSchema.safeParse(input ?? {});
    if (!parsed.success) throw optionsError(def.name, parsed.error.issues);
    const { options, given } = resolve(parsed.data as Options);
    return notifierPlugin(def.name, options as NotifierCommonOptions, def.create(options, given));
  };
  return Object.assign(factory, { optionsSchema });
}

function notifierPlugin(name: string, options: NotifierCommonOptions, notifier: Notifier): Plugin {
  const secrets = secretVariants(notifier.secrets);
  const policy = {
    timeout: options.timeout ?? DEFAULT_POLICY.timeout,
    attempts: options.retries ?? DEFAULT_POLICY.attempts,
    retryDelay: options.retryDelay ?? DEFAULT_POLICY.retryDelay,
  };
  // The longest a handler can legitimately take, so the hook's own limit never cuts a retry short;
  // end handlers may first wait for the start call.
  const perCall = policy.attempts * policy.timeout + (policy.attempts - 1) * MAX_RETRY_AFTER_MS;
  const budget = (notifier.calls ?? 1) * perCall + (notifier.started ? perCall : 0) + BUDGET_MARGIN_MS;
  const masks = new WeakMap<DeploymentContext, (text: string) => string>();
  const failures = new WeakMap<DeploymentContext, SlipwayError>();
  const starts = new WeakMap<DeploymentContext, Promise<void>>();

  const maskFor = (ctx: DeploymentContext) => {
    let mask = masks.get(ctx);
    if (!mask) {
      for (const secret of secrets) ctx.addSecret(secret);
      mask = secretMasker(secrets, ctx.env);
      masks.set(ctx, mask);
    }
    return mask;
  };

  const call = async (handler: NotifyHandler, ctx: DeploymentContext, moment: Moment, error: SlipwayError | null) => {
    // An end state is only meaningful once the start state went out (Rollbar PATCHes the deploy it opened).
    if (moment !== 'started') await starts.get(ctx);
    const mask = maskFor(ctx);
    // Before the switch a cancelled deployment stops its calls; afterwards the outcome must still go out.
    const signal = moment === 'started' || moment === 'gate' ? ctx.signal : undefined;
    const send = async (request: VendorRequest) => {
      const response = await notifyFetch(request, {
        ...policy,
        label: name,
        signal,
        mask,
        onRetry: (info) =>
          ctx.log(
            'notify',
            mask(
              `${name}: ${request.method} ${request.url}: ${info.reason}; attempt ${info.attempt + 1} of ${info.attempts} in ${formatDuration(info.delayMs)}`,
            ),
            'stderr',
          ),
      });
      const id = request.id?.(response);
      const shown = id === undefined || id === null || id === '' ? '' : `, id ${String(id)}`;
      ctx.log(
        'notify',
        mask(`${name}: sent ${request.what} to ${request.method} ${request.url} → ${response.status}${shown}`),
      );
      return response;
    };
    return handler({ ctx, moment, error, mask, send });
  };

  return {
    name,
    apply(host: PluginHost) {
      // The Deployer masks from the start when it can take secrets directly.
      const sink = host as Partial<SecretSink>;
      if (typeof sink.addSecret === 'function') for (const secret of secrets) sink.addSecret(secret);
      const { hooks } = host;
      const at = (stage: number) => ({ name, stage, timeout: budget });

      const { started } = notifier;
      hooks.deploymentStarted.tapPromise(at(STAGE.EARLY), async (ctx) => {
        maskFor(ctx);
        if (!started) return;
        // The start call runs beside the build: a slow vendor must not hold the deployment up.
        const sending = call(started, ctx, 'started', null).catch((error) => {
          const wrapped = wrapTapError('deploymentStarted', name, error);
          ctx.warn({ hook: 'deploymentStarted', plugin: name, code: wrapped.code, message: wrapped.message });
        });
        starts.set(ctx, sending);
      });
      if (started) hooks.done.tapPromise(at(STAGE.EARLY), async (ctx) => starts.get(ctx));
      const gate = options.required ? (notifier.gate ?? notifier.succeeded) : undefined;
      if (gate) hooks.postdeploy.tapPromise(at(STAGE.GATE), (ctx) => call(gate, ctx, 'gate', null));
      const succeeded = options.required && !notifier.gate ? undefined : notifier.succeeded;
      if (succeeded) hooks.succeeded.tapPromise(at(STAGE.NOTIFY), (ctx) => call(succeeded, ctx, 'succeeded', null));
      const { failed, done } = notifier;
      if (failed || done) {
        hooks.failed.tapPromise(at(STAGE.NOTIFY), async (ctx, error) => {
          failures.set(ctx, error);
          if (failed) await call(failed, ctx, 'failed', error);
        });
      }
      if (done) hooks.done.tapPromise(at(STAGE.NOTIFY), (ctx) => call(done, ctx, 'done', failures.get(ctx) ?? null));
    },
  };
}
