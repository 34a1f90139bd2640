// The browser end-to-end tests: vitest drives Debian Chromium through playwright-core against `ich serve` on a
// workspace the real engine built once in the global setup. One worker, one file at a time: the machine has
// two cores and a browser plus the engine fill them.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    execArgv: ['--disable-warning=ExperimentalWarning'],
  },
});
