// The example's database: SQLite through Node's bundled driver when there is one,
// else the sqlite3 command line. Kept tiny on purpose.
import { execFileSync } from 'node:child_process';

export const path = process.env.DATABASE_PATH ?? '/tmp/slipway-migrations-example.db';

export function sql(statement) {
  return execFileSync('sqlite3', ['-json', path, statement], { encoding: 'utf8' }).trim();
}

export function rows(statement) {
  const out = sql(statement);
  return out ? JSON.parse(out) : [];
}
