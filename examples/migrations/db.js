// The example's database, through the sqlite3 command line (Debian's sqlite3
// package), so the example needs no npm install. Kept tiny on purpose.
import { execFileSync } from 'node:child_process';

export const path = process.env.DATABASE_PATH ?? '/tmp/slipway-migrations-example.db';

export function sql(statement) {
  return execFileSync('sqlite3', ['-json', path, statement], { encoding: 'utf8' }).trim();
}

export function rows(statement) {
  const out = sql(statement);
  return out ? JSON.parse(out) : [];
}
