// The `ich` command line. Every engine feature is reachable here first; the GUI is a face on the same calls.
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../base/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import { WINDOW_ARG_HELP } from '../api/windows.ts';
import { PIPELINE_STAGES } from '../api/training.ts';
import { registerMetricCommand } from './metric-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerDemoCommands } from './demo-commands.ts';
import { registerWeightsCommands } from './weights-commands.ts';
import { lazyAction } from './lazy-action.ts';

// Each command's module is loaded when that command runs (lazyAction), so `ich --help`, `ich <command> --help`
// and the light commands never import TensorFlow.js and the rest of the engine.
const commands = () => import('./commands.ts');
const synth = () => import('./synth-commands.ts');
const pipeline = () => import('./pipeline-commands.ts');
const training = () => import('./train-commands.ts');

export async function main(argv: string[]): Promise<number> {
  const program = new Command('ich')
    .description('ICH Viewer engine: index head-CT DICOM, train and run the RSNA 2019 hemorrhage pipeline')
    .option('--verbose', 'print stack traces on errors')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });

  program.command('scan')
    .description('index DICOM folders into the workspace (incremental; progress bar on stderr)')
    .argument('<dir...>', 'folders (walked recursively) or files')
    .option('--workspace <dir>', 'workspace folder (default: $ICH_WORKSPACE or ./ich-workspace)')
    .option('--json', 'print {"series":[...],"problems":[...]} for the scanned files to stdout')
    .option('--batch-size <n>', 'files per index transaction', '64')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(commands, 'scanCommand'));

  program.command('hu')
    .description('write the HU image of one DICOM file as a float32 .npy shaped (rows, cols)')
    .argument('<file>', 'DICOM file')
    .requiredOption('--out <x.npy>', 'output .npy path')
    .option('--frame <n>', 'frame number, from 1 (multi-frame files)', '1')
    .action(lazyAction(commands, 'huCommand'));

  program.command('render')
    .description('write one slice as an 8-bit grayscale PNG through a display window')
    .argument('<file>', 'DICOM file')
    .requiredOption('--out <x.png>', 'output .png path')
    .option('--window <w>', WINDOW_ARG_HELP, 'brain')
    .option('--frame <n>', 'frame number, from 1 (multi-frame files)', '1')
    .action(lazyAction(commands, 'renderCommand'));

  program.command('synth')
    .description('write labeled synthetic head-CT studies: ID_<hex>.dcm files, labels.csv (RSNA format), truth.json')
    .requiredOption('--out <dir>', 'output folder')
    .requiredOption('--studies <n>', 'number of studies (one axial series each)')
    .requiredOption('--seed <s>', 'random seed: the same seed writes the same files')
    .option('--size <px>', 'rows = columns of each slice', '256')
    .option('--patients <n>', 'number of patients (default: about 0.87 x studies, so some have follow-up studies)')
    .option('--prevalence <json>', 'slice-level targets, e.g. \'{"any":0.144}\' or per subtype (default: RSNA stage 1)')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(synth, 'synthCommand'));

  program.command('synth-baseline')
    .description('difficulty check: ROC AUC of a 50-90 HU pixel-count detector on a generated folder')
    .argument('<dir>', 'folder written by ich synth')
    .option('--json', 'print the report as JSON')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(synth, 'synthBaselineCommand'));

  program.command('synth-gallery')
    .description('render one positive slice of each type and a normal one to PNG at the brain window')
    .argument('<dir>', 'folder written by ich synth')
    .requiredOption('--out <folder>', 'where the PNGs go')
    .action(lazyAction(synth, 'synthGalleryCommand'));

  const labels = program.command('labels').description('hemorrhage labels');
  labels.command('import')
    .description('import an RSNA stage_2_train.csv-format file (ID_<image>_<subtype>,Label)')
    .argument('<csv>', 'labels file')
    .option('--workspace <dir>', 'workspace folder')
    .action(lazyAction(commands, 'labelsImportCommand'));

  const exp = program.command('export').description('export from the workspace');
  exp.command('metadata')
    .description("one CSV row per image with the seed's metadata column names")
    .option('--workspace <dir>', 'workspace folder')
    .requiredOption('--out <csv>', 'output CSV path')
    .action(lazyAction(commands, 'exportMetadataCommand'));

  const train = program.command('train').description('train the pipeline\'s models');
  train.command('base')
    .description('train the base CNNs of a preset (every model x fold, or one), with per-epoch checkpoints')
    .option('--workspace <dir>', 'workspace folder')
    .option('--preset <name>', 'tiny | rsna | path to a preset JSON', 'tiny')
    .option('--folds <k>', 'number of patient folds (default: the preset\'s)')
    .option('--fold <k>', 'train only this fold (from 0)')
    .option('--epochs <n>', 'override the preset\'s epochs')
    .option('--model <name>', 'train only this model of the preset')
    .option('--resume <run-id>', 'continue a killed or cancelled run from its last checkpoint')
    .option('--init <dir>', 'start the bodies from weights written by ich weights import: one such folder, or a folder of them named by arch (default for rsna: <workspace>/weights)')
    .option('--from-scratch', 'train from random init; a preset that fine-tunes ImageNet weights (rsna) then uses its from-scratch learning rates')
    .option('--events', 'print progress events as JSON lines on stdout instead of a progress bar')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(training, 'trainBaseCommand'));

  for (const kind of ['fullhead', 'shallow'] as const) {
    const c = train.command(kind)
      .description(kind === 'fullhead'
        ? 'train Pooled-Res over the TTA features of each base model x fold (docs/seed-pipeline.md section 4)'
        : 'train the shallow NN with the 48 metadata features (docs/seed-pipeline.md section 5); --weighted: the weighted fine-tune')
      .option('--workspace <dir>', 'workspace folder')
      .option('--preset <name>', 'tiny | rsna | path to a preset JSON', 'tiny')
      .option('--folds <k>', 'number of patient folds (default: the preset\'s)')
      .option('--fold <k>', 'train only this fold (from 0)')
      .option('--events', 'print progress events as JSON lines on stdout')
      .option('--no-progress', 'no progress bar');
    if (kind === 'shallow') c.option('--weighted', 'compute the sample weights, then fine-tune the shallow models with weighted sampling (the risky models)');
    c.action(async (flags) => (await pipeline()).trainFullheadCommand(kind, flags));
  }

  program.command('ensemble')
    .description('fit the safe and risky ensembles on the members\' out-of-fold predictions and store per-slice predictions')
    .option('--workspace <dir>', 'workspace folder')
    .option('--preset <name>', 'tiny | rsna | path to a preset JSON', 'tiny')
    .option('--folds <k>', 'number of patient folds (default: the preset\'s)')
    .option('--json', 'print a JSON summary instead of the report table')
    .action(lazyAction(pipeline, 'ensembleCommand'));

  program.command('pipeline')
    .description('scan, labels, folds, base CNNs, features, Pooled-Res, shallow NN, weighted fine-tune, ensembles; prints the OOF metric per stage')
    .option('--data <dir...>', 'DICOM folder(s) to scan first (default: train on what the workspace already indexes)')
    .option('--test <dir...>', 'unlabelled test DICOM folder(s) to scan before anything else: the sample weights of the risky ensemble aim at them, and they get predictions')
    .option('--labels <csv>', 'RSNA-format labels file')
    .option('--init <dir>', 'start the base CNNs from weights written by ich weights import (see ich train base --init)')
    .option('--from-scratch', 'train the base CNNs from random init (rsna: with its from-scratch learning rates)')
    .option('--stages <list>', `comma-separated stages to run, of ${PIPELINE_STAGES.join(',')} (default: all; trained models are kept either way)`)
    .option('--workspace <dir>', 'workspace folder')
    .option('--preset <name>', 'tiny | rsna | path to a preset JSON', 'tiny')
    .option('--folds <k>', 'number of patient folds (default: the preset\'s)')
    .option('--json', 'print the report as JSON')
    .option('--events', 'print progress events as JSON lines on stdout')
    .option('--promote', 'make the run\'s model version active when it finishes (the first version of a workspace is anyway)')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(pipeline, 'pipelineCommand'));

  program.command('predict')
    .description('predict every CT slice of DICOM folders with the trained pipeline; store the predictions; write the Kaggle submission format')
    .argument('[dir...]', 'DICOM folders or files (scanned first); or name indexed studies with --studies / --missing')
    .option('--studies <uids>', 'comma-separated study instance UIDs already in the workspace')
    .option('--missing', 'every indexed CT study slice without a stored prediction of the active model version')
    .option('--events', 'print progress as JSON lines on stdout ({"type":"predict","done","total","what"})')
    .option('--workspace <dir>', 'workspace folder')
    .option('--ensemble <name>', 'safe | risky', 'safe')
    .option('--out <csv>', 'write ID,Label rows (ID = <SOPInstanceUID>_<subtype>, six rows per image)')
    .option('--copies <n>', 'TTA copies per slice for the base features (default: the models\' test copies)')
    .option('--passes <n>', 'random passes per full-head model (default: the preset\'s)')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(pipeline, 'predictCommand'));

  program.command('features')
    .description('write TTA features and logits of every indexed image with a trained base model')
    .option('--workspace <dir>', 'workspace folder')
    .requiredOption('--model <id>', 'model id (see ich runs), e.g. tiny-se-resnext.k3.f0')
    .option('--train-copies <n>', 'augmented copies per labelled image (default: preset, 4)')
    .option('--test-copies <n>', 'augmented copies per other image (default: preset, 8)')
    .option('--batch-size <n>', 'images per forward pass')
    .option('--events', 'print progress events as JSON lines on stdout')
    .option('--no-progress', 'no progress bar')
    .action(lazyAction(training, 'featuresCommand'));

  program.command('runs')
    .description('list training runs and their metrics')
    .option('--workspace <dir>', 'workspace folder')
    .option('--json', 'print [{"id","stage","preset","fold","status","metrics",...}]')
    .action(lazyAction(training, 'runsCommand'));

  registerMetricCommand(program);
  registerServeCommand(program);
  registerDemoCommands(program);
  registerWeightsCommands(program);

  const bench = program.command('bench').description('benchmarks of the engine');
  bench.command('train')
    .description('train-step and inference speed of the fixed benchmark models (docs/bench-models.md)')
    .requiredOption('--model <name>', 'bench-cnn | bench-seq')
    .option('--json', 'print {"backend","trainStepMedianMs","inferPerSec"}')
    .option('--steps <n>', 'timed train steps after 2 warm-up steps', '5')
    .option('--infer-iters <n>', 'timed inference batches after 2 warm-up batches', '5')
    .action(lazyAction(training, 'benchTrainCommand'));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were already printed.
      return err.exitCode;
    }
    const verbose = argv.includes('--verbose');
    if (err instanceof CancelledError) {
      process.stderr.write(`ich: ${err.message}\n`);
      return 130;
    }
    process.stderr.write(`ich: ${errorMessage(err)}\n`);
    if (verbose && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return 1;
  }
}
