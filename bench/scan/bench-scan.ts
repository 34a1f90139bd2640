// bench/scan: files per second of `ich scan` (headers + pixel statistics into the SQLite index) against a
// pydicom + numpy reference doing the same work on the same files, in one run; prints medians and the ratio.
// Usage: npm run bench:scan [-- --sets 36 --repeats 3]   (36 sets of the 28-slice GE head CT = 1,008 files)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { scanFolders } from '../../src-ml/store/scan.ts';
import { Workspace } from '../../src-ml/store/workspace.ts';
import { REPO_ROOT, tempDir, writeSeriesCopies } from '../../src-ml/testing/fixtures.ts';

const { values } = parseArgs({ options: { sets: { type: 'string', default: '36' }, repeats: { type: 'string', default: '3' } } });
const sets = Number(values.sets);
const repeats = Number(values.repeats);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const t = tempDir('ich-bench-scan-');
try {
  const data = path.join(t.dir, 'data');
  const files = await writeSeriesCopies(data, sets);
  const list = path.join(t.dir, 'files.txt');
  writeFileSync(list, files.join('\n') + '\n');
  // Warm the page cache and the codecs once so neither side pays for cold disk reads.
  execFileSync('cat', files, { stdio: 'ignore', maxBuffer: 1 << 30 });

  const ours: number[] = [];
  const ref: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const ws = Workspace.open(path.join(t.dir, `ws-${r}`));
    const start = performance.now();
    const summary = await scanFolders(ws, { roots: [data] });
    const seconds = (performance.now() - start) / 1000;
    ws.close();
    if (summary.indexed !== files.length || summary.problems) throw new Error(`scan indexed ${summary.indexed}/${files.length}, ${summary.problems} problems`);
    ours.push(files.length / seconds);

    const out = execFileSync('/usr/bin/python3', [path.join(REPO_ROOT, 'bench/scan/reference_scan.py'), path.join(t.dir, `ref-${r}.sqlite`), list], { encoding: 'utf8' });
    const { files: n, seconds: refSeconds } = JSON.parse(out.trim().split('\n').pop()!) as { files: number; seconds: number };
    ref.push(n / refSeconds);
    process.stderr.write(`run ${r + 1}/${repeats}: ich ${ours[r]!.toFixed(0)} files/s, pydicom ${ref[r]!.toFixed(0)} files/s\n`);
  }
  const ichMedian = median(ours);
  const refMedian = median(ref);
  console.log(`bench/scan: ${files.length} files (512x512 CT, explicit LE), ${repeats} runs each`);
  console.log(`ich scan        median ${ichMedian.toFixed(0)} files/s`);
  console.log(`pydicom+numpy   median ${refMedian.toFixed(0)} files/s`);
  console.log(`ratio = ich / pydicom = ${(ichMedian / refMedian).toFixed(2)}x (target >= 2x)`);
} finally {
  t.cleanup();
}
