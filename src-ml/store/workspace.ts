// The workspace: a folder holding index.sqlite (and later features/, models/, runs/).
// The index runs in WAL mode so the GUI can read while a scan writes.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { MIGRATIONS } from './schema.ts';
import { adoptLegacyVersion } from './legacy-version.ts';

export const INDEX_FILE = 'index.sqlite';

export class Workspace {
  readonly dir: string;
  readonly db: DatabaseSync;

  private constructor(dir: string, db: DatabaseSync) {
    this.dir = dir;
    this.db = db;
  }

  /** Opens (creating if needed) the workspace at `dir` and brings its index to the current schema. */
  static open(dir: string): Workspace {
    const abs = path.resolve(dir);
    mkdirSync(abs, { recursive: true });
    const db = new DatabaseSync(path.join(abs, INDEX_FILE));
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;');
    const ws = new Workspace(abs, db);
    ws.migrate();
    // A workspace from before versions opens as one active version.
    adoptLegacyVersion(abs, db);
    return ws;
  }

  get schemaVersion(): number {
    return (this.db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  }

  private migrate(): void {
    for (let v = this.schemaVersion; v < MIGRATIONS.length; v++) {
      this.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      });
    }
  }

  /** Runs fn in one write transaction: all of it lands, or none of it. */
  transaction<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}

/** The default workspace folder: $ICH_WORKSPACE, else ./ich-workspace. */
export function defaultWorkspaceDir(): string {
  return process.env.ICH_WORKSPACE || path.resolve('ich-workspace');
}
