// Run before the e2e tests: without Chromium they fail at once with one line saying what to install.
import { chromiumMissing } from './lib/chromium.ts';

const missing = chromiumMissing();
if (missing) {
  process.stderr.write(`e2e: ${missing}\n`);
  process.exit(1);
}
