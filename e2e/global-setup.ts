// Once per e2e run: fail at once (one line) without Chromium, build the renderer, and build the engine
// workspace every test file shares: synthetic studies through the whole pipeline, so every slice has real
// safe/risky predictions. ICH_E2E_DIR keeps the workspace in that folder between runs (built when missing).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { chromiumMissing } from './lib/chromium.ts';
import { E2E_SET, pipelineWorkspace, REPO_ROOT, synth } from './lib/workspace.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The engine workspace (with predictions). */
    workspace: string;
    /** The `ich synth` folder it was built from (truth.json: the generator's own slice positions). */
    data: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);

  const started = Date.now();
  await build({ configFile: path.join(REPO_ROOT, 'vite.renderer.config.ts'), logLevel: 'warn' });

  const keep = process.env.ICH_E2E_DIR;
  const dir = keep ? path.resolve(keep) : mkdtempSync(path.join(tmpdir(), 'ich-e2e-'));
  const data = path.join(dir, 'data');
  const workspace = path.join(dir, 'ws');
  if (!existsSync(path.join(workspace, 'report.json'))) {
    rmSync(dir, { recursive: true, force: true });
    const set = await synth(data, E2E_SET);
    await pipelineWorkspace(set, workspace, E2E_SET);
  }
  process.stderr.write(`e2e setup: renderer built, workspace ${workspace} ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  project.provide('workspace', workspace);
  project.provide('data', data);
  return () => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
}
