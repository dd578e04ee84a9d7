import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../../lib/core/errors.js';
import type { Procfile } from '../../lib/core/types.js';
import { parseProcfile } from '../../lib/procfile/procfile.js';
import { APP_JSON, type AppJson, parseAppJson } from './app-json.js';
import { HEROKU_YML, type HerokuYml, parseHerokuYml } from './heroku-yml.js';
import { type InputProblem, inputError } from './problems.js';

/** What a Heroku app directory says about the app, every file read and checked. */
export interface HerokuApp {
  dir: string;
  procfile?: { text: string; parsed: Procfile };
  appJson?: AppJson;
  herokuYml?: HerokuYml;
}

function readText(dir: string, name: string): string | undefined {
  const file = join(dir, name);
  if (!existsSync(file)) return undefined;
  if (!statSync(file).isFile())
    throw new SlipwayError('MIGRATE_INPUT', `${name}: not a file`, { location: { file: name } });
  return readFileSync(file, 'utf8');
}

/**
 * Reads Procfile, app.json and heroku.yml. Every malformed file is reported
 * at once, by file:line:column, in one MIGRATE_INPUT error; nothing is
 * returned then, so nothing can be written from half-read input.
 */
export function readHerokuApp(dir: string): HerokuApp {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new SlipwayError('MIGRATE_INPUT', `${dir}: no such directory`);
  }
  const problems: InputProblem[] = [];
  const app: HerokuApp = { dir };

  const procfileText = readText(dir, 'Procfile');
  if (procfileText !== undefined) {
    try {
      app.procfile = { text: procfileText, parsed: parseProcfile(procfileText, { file: 'Procfile' }) };
    } catch (error) {
      if (!(error instanceof SlipwayError) || !error.location) throw error;
      const { line, column } = error.location;
      problems.push({ file: 'Procfile', line, column, message: error.message.replace(/^Procfile:\d+:\d+: /, '') });
    }
  }
  const appJsonText = readText(dir, APP_JSON);
  if (appJsonText !== undefined) {
    const r = parseAppJson(appJsonText);
    problems.push(...r.problems);
    app.appJson = r.appJson;
  }
  const ymlText = readText(dir, HEROKU_YML);
  if (ymlText !== undefined) {
    const r = parseHerokuYml(ymlText);
    problems.push(...r.problems);
    app.herokuYml = r.herokuYml;
  }
  if (problems.length > 0) {
    const texts: Record<string, string | undefined> = {
      Procfile: procfileText,
      [APP_JSON]: appJsonText,
      [HEROKU_YML]: ymlText,
    };
    for (const p of problems) {
      const line = p.line === undefined ? undefined : texts[p.file]?.split(/\r?\n/)[p.line - 1];
      if (line !== undefined) p.excerpt = line;
    }
    throw inputError(problems);
  }
  if (procfileText === undefined && ymlText === undefined) {
    throw new SlipwayError('MIGRATE_INPUT', `${dir}: no Procfile and no heroku.yml: nothing says how the app runs`);
  }
  return app;
}
