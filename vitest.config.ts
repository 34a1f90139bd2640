import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Renderer tests pick jsdom per file (`// @vitest-environment jsdom`).
    include: ['src-shared/**/*.test.ts', 'src-ml/**/*.test.ts', 'src-main/**/*.test.ts', 'bench/**/*.test.ts', 'src-renderer/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // node:sqlite prints an ExperimentalWarning on Node 22 in every worker.
    execArgv: ['--disable-warning=ExperimentalWarning'],
    reporters: ['default', './vitest.summary-reporter.ts'],
  },
});
