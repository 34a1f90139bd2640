// The scratch folders of `ich predict`: a killed predict's folder (owner pid gone) is removed by the next one, a
// live owner's never; a cancelled predict (the app's cancel is a Ctrl-C) and a SIGTERM'd `ich predict` leave none.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installDemo } from '../demo/demo-bundle.ts';
import { CancelledError } from '../jobs/progress.ts';
import { initBackend } from '../nn/backend.ts';
import { listSeries } from '../store/queries.ts';
import { Workspace } from '../store/workspace.ts';
import { REPO_ROOT, tempDir } from '../testing/fixtures.ts';
import { predictImages } from './predict-images.ts';
import {
  FOREIGN_HOST_MS, makePredictTemp, OWNER_FILE, PREDICT_TMP_PREFIX, processAlive, removeStalePredictTemps, UNOWNED_GRACE_MS,
} from './predict-temp.ts';

/** The `ich` entry (as host/job-launcher.ts ICH_BIN; a domain folder does not import host/). */
const ICH_BIN = path.join(REPO_ROOT, 'bin', 'ich.js');
const tmp = tempDir('ich-predict-temp-');
afterAll(() => tmp.cleanup());

/** The pid of a process that has exited (a short child, waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  expect(r.status).toBe(0);
  expect(processAlive(r.pid!)).toBe(false);
  return r.pid!;
}

function fakeTemp(ws: string, name: string, owner: object | string | null, ageMs = 0): string {
  const dir = path.join(ws, `${PREDICT_TMP_PREFIX}${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'm.npy'), 'x');
  if (owner) writeFileSync(path.join(dir, OWNER_FILE), typeof owner === 'string' ? owner : JSON.stringify(owner));
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(dir, t, t);
  return dir;
}

const predictDirs = (ws: string): string[] => readdirSync(ws).filter((n) => n.startsWith(PREDICT_TMP_PREFIX)).sort();

describe('stale predict folders', () => {
  it('removes a dead owner\'s folder and old unowned ones; keeps live, recent-unowned and other-host ones, files and links', async () => {
    const ws = path.join(tmp.dir, 'unit');
    mkdirSync(ws);
    const host = os.hostname();
    const dead = fakeTemp(ws, 'dead', { pid: deadPid(), host, startedAt: new Date().toISOString() });
    const live = fakeTemp(ws, 'live', { pid: process.pid, host, startedAt: new Date().toISOString() });
    const fresh = fakeTemp(ws, 'fresh', null); // being made right now: its owner file comes next
    const old = fakeTemp(ws, 'old', null, UNOWNED_GRACE_MS + 60_000);
    const garbled = fakeTemp(ws, 'garbled', '{"pid": "x"', UNOWNED_GRACE_MS + 60_000);
    const elsewhere = fakeTemp(ws, 'elsewhere', { pid: deadPid(), host: `${host}-other`, startedAt: '' });
    const elsewhereOld = fakeTemp(ws, 'elsewhere-old', { pid: process.pid, host: `${host}-other`, startedAt: '' }, FOREIGN_HOST_MS + 60_000);
    writeFileSync(path.join(ws, `${PREDICT_TMP_PREFIX}file`), 'not a folder');
    // A link named like a scratch folder, to a dead owner's folder elsewhere: neither it nor its target is touched.
    const target = fakeTemp(tmp.dir, 'target', { pid: deadPid(), host, startedAt: '' });
    symlinkSync(target, path.join(ws, `${PREDICT_TMP_PREFIX}link`));
    const other = path.join(ws, 'features');
    mkdirSync(other);

    const removed = await removeStalePredictTemps(ws);
    expect(removed.map((r) => path.basename(r.dir)).sort()).toEqual(['.predict-dead', '.predict-elsewhere-old', '.predict-garbled', '.predict-old']);
    expect(removed.find((r) => r.dir === dead)!.reason).toMatch(/^owner pid \d+ is gone$/);
    expect(removed.find((r) => r.dir === old)!.reason).toMatch(/^no owner file, 1[01] min old$/);
    for (const d of [dead, old, garbled, elsewhereOld]) expect(existsSync(d)).toBe(false);
    for (const d of [live, fresh, elsewhere, target, other, path.join(ws, `${PREDICT_TMP_PREFIX}file`)]) expect(existsSync(d)).toBe(true);
    expect(existsSync(path.join(target, 'm.npy'))).toBe(true);
    // Nothing stale left: a second pass removes nothing.
    expect(await removeStalePredictTemps(ws)).toEqual([]);
    // A workspace that cannot be listed: a warning, no error.
    const warnings: string[] = [];
    expect(await removeStalePredictTemps(path.join(ws, 'none'), { warn: (l) => warnings.push(l) })).toEqual([]);
    expect(warnings).toEqual([`cannot list ${path.join(ws, 'none')} for stale predict folders (ENOENT)`]);
  });

  it('a folder made by makePredictTemp names this process as its owner, so it is kept while it lives', async () => {
    const ws = path.join(tmp.dir, 'own');
    mkdirSync(ws);
    const dir = await makePredictTemp(ws);
    expect(path.basename(dir).startsWith(PREDICT_TMP_PREFIX)).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(await removeStalePredictTemps(ws)).toEqual([]);
    // The same folder judged as if its owner had died: removed.
    expect((await removeStalePredictTemps(ws, { alive: () => false })).map((r) => r.dir)).toEqual([dir]);
  });
});

describe('predict leaves no scratch folder', () => {
  let wsDir: string;
  let ws: Workspace;
  let imageIds: string[];
  let studyUid: string;

  beforeAll(async () => {
    await initBackend({ purpose: 'infer' }, { log: () => {} });
    wsDir = path.join(tmp.dir, 'ws');
    installDemo(path.join(REPO_ROOT, 'assets', 'demo'), wsDir);
    ws = Workspace.open(wsDir);
    const series = listSeries(ws).filter((s) => s.modality === 'CT').sort((a, b) => a.instances.length - b.instances.length);
    imageIds = series[0]!.instances;
    studyUid = series[0]!.studyInstanceUid;
  }, 120_000);

  afterAll(() => ws?.close());

  it('removes a killed predict\'s folder when it starts, keeps a running one\'s, and removes its own', async () => {
    const host = os.hostname();
    const killedPid = deadPid();
    const killed = fakeTemp(wsDir, 'killed', { pid: killedPid, host, startedAt: '' });
    fakeTemp(wsDir, 'running', { pid: process.pid, host, startedAt: '' });
    const log: string[] = [];
    let during: string[] = [];
    await predictImages({ ws, imageIds, copies: 1, passes: 1, store: false, log: (l) => log.push(l), onProgress: () => {
      during = predictDirs(wsDir);
    } });
    expect(log.filter((l) => l.startsWith('removed '))).toEqual([`removed ${killed} (owner pid ${killedPid} is gone)`]);
    // while it ran: the running one's folder and its own (the killed one gone)
    expect(during).toHaveLength(2);
    expect(during).toContain('.predict-running');
    expect(predictDirs(wsDir)).toEqual(['.predict-running']);
  }, 300_000);

  it('a cancelled predict (the signal aborted mid-run) throws CancelledError and removes its folder', async () => {
    const before = predictDirs(wsDir);
    const ac = new AbortController();
    const run = predictImages({ ws, imageIds, copies: 1, passes: 1, store: false, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(predictDirs(wsDir)).toEqual(before);
  }, 300_000);

  it.each([['SIGTERM', 143], ['SIGINT', 130]] as const)('ich predict stopped by %s mid-run exits %i and leaves no folder', async (sig, exitCode) => {
    const before = predictDirs(wsDir);
    const child = spawn(process.execPath, [ICH_BIN, 'predict', '--workspace', wsDir, '--studies', studyUid, '--events', '--no-progress', '--copies', '1', '--passes', '1'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const lines = createInterface({ input: child.stdout });
    let seenDir = false;
    const code = await new Promise<number | null>((resolve) => {
      lines.on('line', (line) => {
        // after the first unit (a base fold's features written): its folder exists; stop it now
        if (!seenDir && line.startsWith('{"type":"predict"')) {
          seenDir = predictDirs(wsDir).length === before.length + 1;
          if (!seenDir) stderr += `\nat ${line}: ${predictDirs(wsDir).join(' ')}`;
          child.kill(sig);
        }
      });
      child.on('close', (c) => resolve(c));
    });
    expect(seenDir, stderr).toBe(true);
    expect(code, stderr).toBe(exitCode);
    expect(predictDirs(wsDir)).toEqual(before);
  }, 300_000);
});
