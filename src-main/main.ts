// Entry of the Electron main process (bundled to out/main/main.cjs by src-main/build.ts; package.json
// "main"). Loads the real electron module and hands it to the wiring in desktop.ts.
import type { ElectronPort } from './electron-port.ts';
import { startDesktop } from './desktop.ts';

// `require`, not a static import: the shell is type-checked against its own port, not electron.d.ts.
const electron = (require as (id: string) => unknown)('electron') as ElectronPort;

startDesktop(electron, { argv: process.argv.slice(1), env: process.env }).catch((err: unknown) => {
  const line = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.stderr.write(`ICH Viewer could not start: ${line}\n`);
  electron.dialog.showErrorBox('ICH Viewer could not start', String(line));
  electron.app.quit();
});
