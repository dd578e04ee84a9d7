// Applies pending migrations in order, each once, recorded in schema_migrations.
import { rows, sql } from './db.js';

const migrations = [
  ['001_create_greetings', 'CREATE TABLE greetings (id INTEGER PRIMARY KEY, text TEXT NOT NULL)'],
  ['002_seed_greetings', "INSERT INTO greetings (text) VALUES ('hello from a migrated schema')"],
  ['003_add_language', "ALTER TABLE greetings ADD COLUMN language TEXT NOT NULL DEFAULT 'en'"],
];

sql('CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY)');
const done = new Set(rows('SELECT version FROM schema_migrations').map((r) => r.version));
for (const [version, statement] of migrations) {
  if (done.has(version)) continue;
  sql(`BEGIN; ${statement}; INSERT INTO schema_migrations VALUES ('${version}'); COMMIT;`);
  console.log(`migrated ${version}`);
}
console.log(`schema at ${migrations.at(-1)[0]}`);
