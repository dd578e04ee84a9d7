/**
 * Reads a Heroku app.json: what the migration carries over (scripts, env,
 * formation), what it reports as information (buildpacks, stack), and every
 * other key, listed as not carried over.
 */
import { type JsonPath, JsonSyntaxError, parseJson } from './json-source.js';
import { formatSource, type InputProblem, keyNames, type NotCarried } from './problems.js';

export const APP_JSON = 'app.json';

export interface Located<T> {
  value: T;
  /** `app.json:12:5` */
  source: string;
}

export interface AppJsonEnvVar {
  key: string;
  /** The default value, when app.json gives one. */
  value?: string;
  required: boolean;
  /** `generator: secret`: Heroku made a random value when the app was created. */
  secret: boolean;
  description?: string;
  source: string;
}

export interface AppJsonFormation {
  type: string;
  quantity?: number;
  size?: string;
  source: string;
}

export interface AppJson {
  name?: Located<string>;
  postdeploy?: Located<string>;
  prPredestroy?: Located<string>;
  env: AppJsonEnvVar[];
  formation: AppJsonFormation[];
  buildpacks: Located<string>[];
  stack?: Located<string>;
  notCarried: NotCarried[];
}

/** Keys that only describe the app for the Heroku Button and dashboard. */
const METADATA = new Set(['description', 'keywords', 'website', 'repository', 'logo', 'success_url']);

const UNSUPPORTED: Record<string, string> = {
  addons:
    'slipway provisions no add-ons: create the database (or other service) yourself and set its URL with `slipway config:set`',
  environments:
    'per-environment settings (review apps, Heroku CI) have no slipway equivalent; each app has one config file',
  image: 'the Heroku Button image is not used; slipway builds from the directory (or a Dockerfile with runtime docker)',
};

const ENV_KEYS = new Set(['description', 'value', 'required', 'generator']);
const FORMATION_KEYS = new Set(['quantity', 'size']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses app.json text; malformed parts are collected in `problems` (nothing is thrown). */
export function parseAppJson(text: string, file = APP_JSON): { appJson?: AppJson; problems: InputProblem[] } {
  let json: ReturnType<typeof parseJson>;
  try {
    json = parseJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    return { problems: [{ file, ...error.position, message: `invalid JSON: ${error.message}` }] };
  }
  const problems: InputProblem[] = [];
  const where = (path: JsonPath) => ({ file, ...json.at(path) });
  const source = (path: JsonPath) => formatSource(where(path));
  const problem = (path: JsonPath, message: string) => problems.push({ ...where(path), message });
  const keyName = (path: JsonPath) => path.join('.');

  const root = json.value;
  if (!isObject(root)) {
    problem([], 'app.json must be a JSON object');
    return { problems };
  }
  const out: AppJson = { env: [], formation: [], buildpacks: [], notCarried: [] };
  /** `value` is what is not carried: the key names of an object (or of a list's objects) are listed with it. */
  const notCarried = (path: JsonPath, detail: string, value?: unknown) => {
    const maps = isObject(value) ? [value] : Array.isArray(value) ? value.filter(isObject) : [];
    const keys = keyNames(maps.map((m) => Object.keys(m)));
    out.notCarried.push({ source: source(path), key: keyName(path), detail, ...(keys ? { keys } : {}) });
  };
  const text1 = (path: JsonPath, v: unknown): string | undefined => {
    if (typeof v === 'string' && v.trim() !== '') return v;
    problem(path, `${keyName(path)} must be a non-empty string`);
    return undefined;
  };

  for (const [k, v] of Object.entries(root)) {
    const path = [k];
    switch (k) {
      case 'name': {
        const name = text1(path, v);
        if (name) out.name = { value: name, source: source(path) };
        break;
      }
      case 'scripts':
        readScripts(v, path);
        break;
      case 'env':
        readEnv(v, path);
        break;
      case 'formation':
        readFormation(v, path);
        break;
      case 'buildpacks':
        if (!Array.isArray(v)) {
          problem(path, 'buildpacks must be a list of { "url": … }');
          break;
        }
        v.forEach((b, n) => {
          const url = isObject(b) ? b.url : undefined;
          if (typeof url === 'string' && url !== '') out.buildpacks.push({ value: url, source: source([k, n]) });
          else problem([k, n], `buildpacks[${n}] must be an object with a "url"`);
        });
        break;
      case 'stack': {
        const stack = text1(path, v);
        if (stack) out.stack = { value: stack, source: source(path) };
        break;
      }
      default:
        if (METADATA.has(k)) notCarried(path, 'Heroku Button and dashboard metadata; slipway has no use for it', v);
        else if (k in UNSUPPORTED) notCarried(path, UNSUPPORTED[k]!, v);
        else notCarried(path, 'not an app.json key slipway knows', v);
    }
  }
  return { appJson: out, problems };

  function readScripts(v: unknown, path: JsonPath) {
    if (!isObject(v)) {
      problem(path, 'scripts must be an object of script names to commands');
      return;
    }
    for (const [name, command] of Object.entries(v)) {
      const p = [...path, name];
      if (name === 'postdeploy' || name === 'pr-predestroy') {
        const c = text1(p, command);
        if (!c) continue;
        if (name === 'postdeploy') out.postdeploy = { value: c, source: source(p) };
        else out.prPredestroy = { value: c, source: source(p) };
      } else {
        notCarried(p, 'not a script Heroku runs on its own (it knows postdeploy and pr-predestroy)', command);
      }
    }
  }

  function readEnv(v: unknown, path: JsonPath) {
    if (!isObject(v)) {
      problem(path, 'env must be an object of variable names');
      return;
    }
    for (const [name, spec] of Object.entries(v)) {
      const p = [...path, name];
      // `"KEY": "value"` is app.json's short form of `{ "value": "value" }`.
      if (typeof spec === 'string') {
        out.env.push({ key: name, value: spec, required: true, secret: false, source: source(p) });
        continue;
      }
      if (!isObject(spec)) {
        problem(p, `env.${name} must be a string or an object with value, required, generator, description`);
        continue;
      }
      const entry: AppJsonEnvVar = { key: name, required: true, secret: false, source: source(p) };
      for (const [field, fv] of Object.entries(spec)) {
        const fp = [...p, field];
        if (!ENV_KEYS.has(field)) notCarried(fp, 'not an env variable setting app.json defines', fv);
        else if (field === 'value') {
          if (typeof fv === 'string') entry.value = fv;
          else problem(fp, `env.${name}.value must be a string`);
        } else if (field === 'required') {
          if (typeof fv === 'boolean') entry.required = fv;
          else problem(fp, `env.${name}.required must be true or false`);
        } else if (field === 'generator') {
          if (fv === 'secret') entry.secret = true;
          else problem(fp, `env.${name}.generator must be "secret" (the only generator app.json has)`);
        } else if (typeof fv === 'string') entry.description = fv;
        else problem(fp, `env.${name}.description must be a string`);
      }
      out.env.push(entry);
    }
  }

  function readFormation(v: unknown, path: JsonPath) {
    if (!isObject(v)) {
      problem(path, 'formation must be an object of process types');
      return;
    }
    for (const [type, spec] of Object.entries(v)) {
      const p = [...path, type];
      if (!isObject(spec)) {
        problem(p, `formation.${type} must be an object with quantity and size`);
        continue;
      }
      const entry: AppJsonFormation = { type, source: source(p) };
      for (const [field, fv] of Object.entries(spec)) {
        const fp = [...p, field];
        if (!FORMATION_KEYS.has(field)) notCarried(fp, 'not a formation setting app.json defines', fv);
        else if (field === 'quantity') {
          if (typeof fv === 'number' && Number.isInteger(fv) && fv >= 0) entry.quantity = fv;
          else problem(fp, `formation.${type}.quantity must be a whole number, 0 or more`);
        } else if (typeof fv === 'string' && fv !== '') entry.size = fv;
        else problem(fp, `formation.${type}.size must be a dyno size name such as "standard-1x"`);
      }
      out.formation.push(entry);
    }
  }
}
