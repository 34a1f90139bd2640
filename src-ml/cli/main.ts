// The `ich` command line. Every engine feature is reachable here first; the GUI is a face on the same calls.
import { Command, CommanderError } from 'commander';
import { errorMessage } from '../dicom/errors.ts';
import { CancelledError } from '../jobs/progress.ts';
import { exportMetadataCommand, huCommand, labelsImportCommand, scanCommand } from './commands.ts';


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
    .action(scanCommand);

  program.command('hu')
    .description('write the HU image of one DICOM file as a float32 .npy shaped (rows, cols)')
    .argument('<file>', 'DICOM file')
    .requiredOption('--out <x.npy>', 'output .npy path')
    .option('--frame <n>', 'frame number, from 1 (multi-frame files)', '1')
    .action(huCommand);

  const labels = program.command('labels').description('hemorrhage labels');
  labels.command('import')
    .description('import an RSNA stage_2_train.csv-format file (ID_<image>_<subtype>,Label)')
    .argument('<csv>', 'labels file')
    .option('--workspace <dir>', 'workspace folder')
    .action(labelsImportCommand);

  const exp = program.command('export').description('export from the workspace');
  exp.command('metadata')
    .description("one CSV row per image with the seed's metadata column names")
    .option('--workspace <dir>', 'workspace folder')
    .requiredOption('--out <csv>', 'output CSV path')
    .action(exportMetadataCommand);

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
