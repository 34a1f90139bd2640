// `ich demo build` (regenerates assets/demo from a trained workspace), `ich demo install` (copies the
// bundle into a new workspace folder), `ich models copy` (a trained pipeline from one workspace to another).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { positiveInt } from './cli-helpers.ts';
import { lazyAction } from './lazy-action.ts';

// The engine modules are imported inside the actions, so registering these commands (every `ich` start) stays cheap.

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The bundled demo of this checkout. */
export const DEMO_BUNDLE = path.join(REPO_ROOT, 'assets', 'demo');
/** The real head CT of the shared sample data, beside the checkout. */
const REAL_CT = path.join(REPO_ROOT, '..', 'shared', 'dicom', 'head-ct-ge');

function realCtNotice(): string {
  const attribution = readFileSync(path.join(REAL_CT, '..', 'ATTRIBUTION.md'), 'utf8');
  const row = attribution.split('\n').find((l) => l.startsWith('| head-ct-ge/'));
  if (!row) throw new Error(`${REAL_CT}/../ATTRIBUTION.md: no head-ct-ge row`);
  const [, what, source, license] = row.split('|').map((c) => c.trim());
  return `# head-ct-ge\n\n${what}\n\nSource: ${source}.\n\nLicense: ${license}.\n\nCopyright (c) 2019 Chris Rorden. Redistribution and use in source and binary forms, with or without\nmodification, are permitted under the BSD 2-Clause license: retain this notice with the files.\n\nThe files were re-encoded as RLE lossless (pixel values unchanged) to keep the demo small.\n`;
}

export function registerDemoCommands(program: Command): void {
  const demo = program.command('demo').description('the bundled demo workspace (assets/demo)');
  demo.command('build')
    .description('rebuild assets/demo: the real GE head CT and synthetic studies, models copied from a trained workspace, predictions')
    .requiredOption('--models-from <dir>', 'workspace with a finished ich pipeline run (tiny preset)')
    .option('--out <dir>', 'bundle folder', DEMO_BUNDLE)
    .option('--studies <n>', 'synthetic studies', '3')
    .option('--seed <s>', 'synthetic seed', '2026')
    .action(async (flags: { modelsFrom: string; out: string; studies: string; seed: string }) => {
      const [{ initBackend }, { buildDemo }] = await Promise.all([import('../nn/backend.ts'), import('../demo/demo-bundle.ts')]);
      await initBackend({ purpose: 'infer' }, { log });
      const m = await buildDemo({
        modelsFrom: flags.modelsFrom, out: flags.out, realCt: REAL_CT, realCtNotice: realCtNotice(),
        syntheticStudies: positiveInt(flags.studies, '--studies'), syntheticSeed: Number(flags.seed), log,
      });
      process.stdout.write(`${JSON.stringify({ out: path.resolve(flags.out), studies: m.studies, images: m.images, models: m.models.length, compression: m.compression })}\n`);
    });
  demo.command('install')
    .description('copy the demo bundle into a new workspace folder (paths in its index point at the copy)')
    .option('--workspace <dir>', 'new workspace folder (must not exist or be empty)')
    .option('--bundle <dir>', 'demo bundle', DEMO_BUNDLE)
    .action(async (flags: { workspace?: string; bundle: string }) => {
      const [{ installDemo }, { defaultWorkspaceDir }] = await Promise.all([import('../demo/demo-bundle.ts'), import('../store/workspace.ts')]);
      const dest = flags.workspace ?? defaultWorkspaceDir();
      const m = installDemo(flags.bundle, dest);
      process.stdout.write(`${JSON.stringify({ workspace: path.resolve(dest), studies: m.studies, images: m.images })}\n`);
    });

  const models = program.command('models').description('trained models of a workspace and their versions');
  models.command('list')
    .description('model versions: the active one (what predictions, the viewer and ich predict use), candidates, archived ones')
    .option('--workspace <dir>', 'workspace folder')
    .option('--json', 'print [{"version","status","createdAt","preset","report"}]')
    .action(async (flags: { workspace?: string; json?: boolean }) => {
      const [{ defaultWorkspaceDir, Workspace }, { formatVersions, versionSummaries }] = await Promise.all([import('../store/workspace.ts'), import('./versions-format.ts')]);
      const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
      try {
        const list = versionSummaries(ws);
        process.stdout.write(flags.json ? `${JSON.stringify(list)}\n` : `${formatVersions(list)}\n`);
      } finally {
        ws.close();
      }
    });
  models.command('promote')
    .description('make a version active (its predictions replace the stored ones); promoting an older version rolls back')
    .argument('<version>', 'e.g. v2 (see ich models list)')
    .option('--workspace <dir>', 'workspace folder')
    .action(async (version: string, flags: { workspace?: string }) => {
      const [{ defaultWorkspaceDir, Workspace }, { promoteVersion }] = await Promise.all([import('../store/workspace.ts'), import('../store/versions.ts')]);
      const ws = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
      try {
        const r = promoteVersion(ws, version);
        process.stdout.write(`${JSON.stringify({ active: r.version, previous: r.previous })}\n`);
      } finally {
        ws.close();
      }
    });
  models.command('export-onnx')
    .description('write one trained model as an ONNX graph (a base CNN: pooled features and logits; the others: logits), inputs in the tfjs layout')
    .argument('<model>', 'model id, e.g. tiny-se-resnext.k3.f0 or pooled-res.tiny-se-resnext.k3.f0 (see ich runs); the active version\'s copy')
    .requiredOption('--out <file>', 'the .onnx file to write (atomically)')
    .option('--workspace <dir>', 'workspace folder')
    .action(lazyAction(() => import('./export-onnx-command.ts'), 'exportOnnxCommand'));
  models.command('copy')
    .description('copy every trained model, its run record and the fitted ensembles from another workspace (e.g. trained on a GPU server)')
    .requiredOption('--from <dir>', 'workspace that holds the models')
    .option('--workspace <dir>', 'workspace that receives them')
    .action(async (flags: { from: string; workspace?: string }) => {
      const [{ defaultWorkspaceDir, Workspace }, { copyTrainedModels }] = await Promise.all([import('../store/workspace.ts'), import('../demo/model-transfer.ts')]);
      const from = Workspace.open(flags.from);
      const to = Workspace.open(flags.workspace ?? defaultWorkspaceDir());
      try {
        const r = copyTrainedModels(from, to);
        process.stdout.write(`${JSON.stringify(r)}\n`);
      } finally {
        from.close();
        to.close();
      }
    });
}
