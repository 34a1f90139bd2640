// Where a workspace keeps each kind of file (see the README's workspace layout).
import path from 'node:path';
import type { Workspace } from './workspace.ts';

export function runDirOf(ws: Workspace, runId: string): string {
  return path.join(ws.dir, 'runs', runId);
}

export function modelDirOf(ws: Workspace, modelId: string): string {
  return path.join(ws.dir, 'models', modelId);
}
