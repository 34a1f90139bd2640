import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseDicomBytes } from './src-ml/dicom/parse.ts';
import { decodeFrameStored, initCodecs } from './src-ml/dicom/pixels.ts';
await initCodecs();
const D = '/work/shared/dicom/transfer-syntaxes/';
const files = process.argv.slice(2);
fs.rmSync('/tmp/dbg', { recursive: true, force: true }); fs.mkdirSync('/tmp/dbg');
execFileSync('/usr/bin/python3', ['src-ml/dicom/testing/reference_hu.py', '/tmp/dbg', ...files.map(f => D + f)], { stdio: 'ignore' });
const idx = JSON.parse(fs.readFileSync('/tmp/dbg/index.json', 'utf8')).files;
for (const f of files) {
  const p = parseDicomBytes(fs.readFileSync(D + f));
  const buf = fs.readFileSync('/tmp/dbg/' + idx[D + f].npy);
  const hl = buf.readUInt16LE(8); const ref = new Int32Array(new Uint8Array(buf.subarray(10 + hl)).buffer);
  const frames = idx[D + f].frames;
  for (let fr = 0; fr < frames; fr++) {
    const ours = decodeFrameStored(p, fr); const n = ours.length; let cnt = 0; const ex = [];
    for (let i = 0; i < n; i++) if (ours[i] !== ref[fr * n + i]) { cnt++; if (ex.length < 6) ex.push(`${i}: ours ${ours[i]} ref ${ref[fr*n+i]}`); }
    console.log(f, 'frame', fr, 'diffs', cnt, ex.join(' | '), 'ours min/max', ours.reduce((a,b)=>Math.min(a,b)), ours.reduce((a,b)=>Math.max(a,b)));
  }
}
