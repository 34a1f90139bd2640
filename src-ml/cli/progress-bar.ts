// A progress bar on stderr for long CLI work; quiet when asked, plain periodic lines when stderr is not a TTY.
import cliProgress from 'cli-progress';
import type { Progress } from '../jobs/progress.ts';

export interface ProgressBar {
  update(p: Progress): void;
  stop(): void;
}

export function progressBar(label: string, enabled: boolean): ProgressBar {
  if (!enabled) return { update: () => {}, stop: () => {} };
  if (!process.stderr.isTTY) {
    let lastTenth = -1;
    return {
      update: (p) => {
        const tenth = p.total ? Math.floor((10 * p.done) / p.total) : 0;
        if (tenth !== lastTenth) {
          lastTenth = tenth;
          process.stderr.write(`${label}: ${p.done}/${p.total}\n`);
        }
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
    hideCursor: true,
    etaBuffer: 200,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update: (p) => {
      if (!started) {
        bar.start(p.total, 0);
        started = true;
      }
      bar.setTotal(p.total);
      bar.update(p.done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
