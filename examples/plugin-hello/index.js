// slipway-plugin-hello: greets each deployment in its log and says how it ended.
//
// It imports nothing from slipway at runtime: slipway hands the plugin its
// hooks, and the types below come from slipway only for editors and `tsc
// --checkJs` (slipway is a peer dependency).

/**
 * @typedef {import('slipway').Plugin} Plugin
 * @typedef {import('slipway').PluginHost} PluginHost
 * @typedef {{ greeting: string, shout: boolean }} HelloOptions
 * @typedef {import('slipway').OptionsSchema<HelloOptions>} HelloSchema
 */

export const PLUGIN_NAME = 'hello';

// slipway's STAGE.NOTIFY, written out so that this package needs nothing from slipway at runtime.
const STAGE_NOTIFY = 20;

const KNOWN = new Set(['greeting', 'shout']);

/**
 * Validates options before any deployment starts. slipway only needs a
 * zod-style `safeParse`; a zod schema works as well as this hand-written one.
 * @type {HelloSchema}
 */
export const optionsSchema = {
  safeParse(input) {
    const options = /** @type {Record<string, unknown>} */ (input ?? {});
    /** @type {{ path: string[], message: string }[]} */
    const issues = [];
    for (const key of Object.keys(options)) {
      if (!KNOWN.has(key)) issues.push({ path: [key], message: 'unknown option (known: greeting, shout)' });
    }
    const { greeting, shout = false } = options;
    if (typeof greeting !== 'string' || greeting.trim() === '') {
      issues.push({ path: ['greeting'], message: 'required: a non-empty string' });
    }
    if (typeof shout !== 'boolean') issues.push({ path: ['shout'], message: 'must be true or false' });
    if (issues.length > 0) return { success: false, error: { issues } };
    return { success: true, data: { greeting: String(greeting).trim(), shout: Boolean(shout) } };
  },
};

/**
 * The package's default export: a factory taking the validated options.
 * @param {HelloOptions} options
 * @returns {Plugin}
 */
export default function hello(options) {
  /** @param {string} text */
  const say = (text) => (options.shout ? text.toUpperCase() : text);
  return {
    name: PLUGIN_NAME,
    /** @param {PluginHost} deployer */
    apply(deployer) {
      const tap = { name: PLUGIN_NAME, stage: STAGE_NOTIFY };
      deployer.hooks.deploymentStarted.tapPromise(tap, async (ctx) => {
        ctx.log(
          'notify',
          say(`${options.greeting}, ${ctx.app}! Release v${ctx.release} (${ctx.version}) is on its way.`),
        );
      });
      deployer.hooks.succeeded.tapPromise(tap, async (ctx) => {
        ctx.log('notify', say(`${ctx.app} v${ctx.release} is live.`));
      });
      // `failed` gets the error too; a tap here can only warn, never change the outcome.
      deployer.hooks.failed.tapPromise(tap, async (ctx, error) => {
        ctx.log('notify', say(`${ctx.app} v${ctx.release} did not go live (${ctx.status}, ${error.code}).`));
      });
    },
  };
}

hello.optionsSchema = optionsSchema;
