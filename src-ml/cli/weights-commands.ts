// `ich weights import` / `ich weights forward`: PyTorch backbone checkpoints into the engine's format
// (src-ml/weights/), and a forward pass to compare the result with PyTorch.
import path from 'node:path';
import type { Command } from 'commander';
import { IMPORT_ARCH_NAMES } from '../weights/arch-names.ts';
import { positiveInt } from './cli-helpers.ts';

// TensorFlow.js and the weight readers are imported when a command runs, not when it is registered (every `ich` start).

const backendLog = (line: string) => process.stderr.write(`${line}\n`);

export async function weightsImportCommand(checkpoint: string, opts: { arch: string; out: string; json?: boolean }): Promise<void> {
  const [{ initBackend }, { importWeights }] = await Promise.all([import('../nn/backend.ts'), import('../weights/import.ts')]);
  await initBackend({ purpose: 'infer' }, { log: () => undefined });
  const { out, meta } = await importWeights(checkpoint, opts.arch, opts.out);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ out, arch: meta.arch, tensors: meta.tensors, values: meta.values, source: meta.source, ignoredKeys: meta.ignoredKeys, renamedKeys: meta.renamedKeys }) + '\n');
    return;
  }
  const form = [meta.source.format, meta.source.nestedUnder ? `under '${meta.source.nestedUnder}'` : '', meta.source.strippedPrefix ? `'${meta.source.strippedPrefix}' prefix removed` : '']
    .filter(Boolean).join(', ');
  process.stdout.write(`${meta.arch}: ${meta.tensors} tensors (${meta.values.toLocaleString('en-US')} values) from ${path.basename(checkpoint)} (${form}); `
    + `${meta.ignoredKeys.length} keys ignored (ImageNet head, num_batches_tracked) -> ${out}\n`);
}

export async function weightsForwardCommand(dir: string, opts: { input: string; out: string; batchSize: string }): Promise<void> {
  const [{ initBackend }, { forwardFile }] = await Promise.all([import('../nn/backend.ts'), import('../weights/forward.ts')]);
  await initBackend({ purpose: 'infer' }, { log: backendLog });
  const { shape, meta } = await forwardFile(dir, opts.input, opts.out, positiveInt(opts.batchSize, '--batch-size'));
  process.stdout.write(`${meta.arch}: [${shape.join(', ')}] -> ${path.resolve(opts.out)}\n`);
}

export function registerWeightsCommands(program: Command): void {
  const weights = program.command('weights').description('pretrained backbone weights (PyTorch checkpoints)');
  weights.command('import')
    .description('read a PyTorch checkpoint (torch.save .pth/.pt or .safetensors; a state_dict, bare or under state_dict/model/net, '
      + 'with or without a DataParallel module. prefix) into the engine\'s format; no Python needed')
    .argument('<checkpoint>', 'checkpoint file')
    .requiredOption('--arch <name>', `backbone, by the seed's name: ${IMPORT_ARCH_NAMES.join(' | ')}`)
    .requiredOption('--out <dir>', 'output folder (model.json, weights.bin, meta.json)')
    .option('--json', 'print {"out","arch","tensors","values","source","ignoredKeys","renamedKeys"}')
    .action(weightsImportCommand);
  weights.command('forward')
    .description('run an imported body in eval mode: x [N,3,H,W] float32 (PyTorch layout, already normalised) -> y [N,C,h,w], the last feature map before pooling')
    .argument('<dir>', 'folder written by ich weights import')
    .requiredOption('--input <x.npy>', 'input .npy, float32 [N, 3, H, W]')
    .requiredOption('--out <y.npy>', 'output .npy, float32 [N, C, h, w]')
    .option('--batch-size <n>', 'images per pass', '8')
    .action(weightsForwardCommand);
}
