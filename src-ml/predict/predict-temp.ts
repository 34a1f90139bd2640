/**
 * The scratch folders `ich predict` keeps its base features in (`<workspace>/.predict-XXXXXX`). A predict
 * removes its own when it ends, is cancelled or throws; one killed outright (SIGKILL, power loss) leaves it,
 * and on a whole test set it holds gigabytes (121,232 images x 8 copies x F floats per base fold). So each
 * folder names its owner (`owner.json`: pid, host, start time) and every predict first removes the
 * folders whose owner is gone. Two predicts may run at once on one workspace (the app's and a CLI's): a
 * folder whose owner is alive, or that cannot be judged, is kept.
 */
import { existsSync, rmSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const PREDICT_TMP_PREFIX = '.predict-';
export const OWNER_FILE = 'owner.json';
/** A folder without a readable owner file (being made right now, or left by an older version) is left alone this long. */
export const UNOWNED_GRACE_MS = 10 * 60_000;
/** A folder made on another host (a workspace on a shared drive): its pid means nothing here, so only age tells. */
export const FOREIGN_HOST_MS = 24 * 3600_000;

export interface PredictTempOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Whether process `pid` exists on this host (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes this process's scratch folder in `wsDir`, its owner file written before any data goes in. */
export async function makePredictTemp(wsDir: string): Promise<string> {
  const dir = await mkdtemp(path.join(wsDir, PREDICT_TMP_PREFIX));
  const owner: PredictTempOwner = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() };
  await writeFile(path.join(dir, OWNER_FILE), `${JSON.stringify(owner)}\n`);
  return dir;
}

function parseOwner(text: string): PredictTempOwner | null {
  try {
    const o = JSON.parse(text) as Partial<PredictTempOwner>;
    if (!Number.isSafeInteger(o.pid) || o.pid! <= 0 || typeof o.host !== 'string') return null;
    return { pid: o.pid!, host: o.host, startedAt: typeof o.startedAt === 'string' ? o.startedAt : '' };
  } catch {
    return null;
  }
}

export interface StaleCheck {
  /** Now, in ms (tests). */
  now?: number;
  /** Liveness of a pid on this host (tests). */
  alive?: (pid: number) => boolean;
}

/** Why a scratch folder is stale (a few words), or null to keep it. */
async function staleReason(dir: string, check: Required<StaleCheck>): Promise<string | null> {
  const st = await lstat(dir);
  const age = check.now - st.mtimeMs;
  let owner: PredictTempOwner | null = null;
  try {
    owner = parseOwner(await readFile(path.join(dir, OWNER_FILE), 'utf8'));
  } catch {
    owner = null;
  }
  if (!owner) return age > UNOWNED_GRACE_MS ? `no owner file, ${Math.round(age / 60_000)} min old` : null;
  if (owner.host !== os.hostname()) return age > FOREIGN_HOST_MS ? `owner on ${owner.host.slice(0, 60)}, ${Math.round(age / 3600_000)} h old` : null;
  return check.alive(owner.pid) ? null : `owner pid ${owner.pid} is gone`;
}

/**
 * Removes the `.predict-*` folders of `wsDir` whose owner process is gone (or that have no owner file and are
 * older than UNOWNED_GRACE_MS); returns them with the reason. Links and files of that name are not touched;
 * a folder that cannot be judged or removed is kept (reported through `warn`), never an error.
 */
export async function removeStalePredictTemps(wsDir: string, check: StaleCheck & { warn?: (line: string) => void } = {}): Promise<{ dir: string; reason: string }[]> {
  const opts: Required<StaleCheck> = { now: check.now ?? Date.now(), alive: check.alive ?? processAlive };
  let names: string[];
  try {
    names = await readdir(wsDir);
  } catch (err) {
    check.warn?.(`cannot list ${wsDir} for stale predict folders (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return [];
  }
  const removed: { dir: string; reason: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(PREDICT_TMP_PREFIX)) continue;
    const dir = path.join(wsDir, name);
    try {
      if (!(await lstat(dir)).isDirectory()) continue;
      const reason = await staleReason(dir, opts);
      if (!reason) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push({ dir, reason });
    } catch (err) {
      check.warn?.(`cannot clean ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]})`);
    }
  }
  return removed;
}

/**
 * Removes `dir` if the process exits before the caller does (process.exit on a second Ctrl-C skips every
 * `finally`); returns the function that cancels that. Synchronous: an 'exit' listener cannot wait.
 */
export function removeOnExit(dir: string): () => void {
  const onExit = (): void => {
    try {
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // exiting anyway: the next predict removes it (its owner pid is gone)
    }
  };
  process.on('exit', onExit);
  return () => process.off('exit', onExit);
}
