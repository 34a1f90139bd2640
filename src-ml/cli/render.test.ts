// `ich render` end to end: a child process per call, as a user runs it.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { GE_DIR, REPO_ROOT, tempDir } from '../testing/fixtures.ts';

const ICH = path.join(REPO_ROOT, 'bin/ich.js');
const ich = (...args: string[]) => spawnSync(process.execPath, [ICH, ...args], { encoding: 'utf8', cwd: REPO_ROOT });
const SLICE = path.join(GE_DIR, '14.dcm');

describe('ich render', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());
  const render = (name: string, ...args: string[]) => {
    const out = path.join(t.dir, name);
    const r = ich('render', SLICE, '--out', out, ...args);
    expect(r.status, r.stderr).toBe(0);
    return { stdout: r.stdout, png: decode(new Uint8Array(readFileSync(out))) };
  };

  it('writes a 512x512 8-bit gray PNG whose pixels depend on the window', () => {
    const brain = render('brain.png');
    expect(brain.stdout).toContain('512x512, window center 40 width 80 -> ');
    expect({ width: brain.png.width, height: brain.png.height, depth: brain.png.depth, channels: brain.png.channels })
      .toEqual({ width: 512, height: 512, depth: 8, channels: 1 });
    const bone = render('bone.png', '--window', 'bone');
    expect(bone.png.width).toBe(512);
    const a = brain.png.data;
    const b = bone.png.data;
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
    expect(differing).toBeGreaterThan(a.length / 4);
    // The brain window saturates the skull (>= 80 HU) to white and air to black; bone keeps brain mid-gray.
    const count = (d: ArrayLike<number>, f: (v: number) => boolean) => Array.prototype.filter.call(d, f).length;
    expect(count(a, (v) => v === 255)).toBeGreaterThan(count(b, (v) => v === 255));
    expect(count(b, (v) => v > 60 && v < 120)).toBeGreaterThan(20000);
    // The default is the brain preset, the same as 40/80 (center/width).
    expect([...render('cw.png', '--window', '40/80').png.data]).toEqual([...a]);
    expect(render('header.png', '--window', 'header').stdout).toMatch(/window center \d+(\.\d+)? width \d+/);
    expect(readdirSync(t.dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('errors are one line naming the file, non-zero exit', () => {
    const bad = path.join(t.dir, 'bad.dcm');
    writeFileSync(bad, 'hello');
    const cases: [string[], RegExp][] = [
      [[bad, '--out', path.join(t.dir, 'x.png')], /bad\.dcm: no DICM prefix/],
      [[SLICE, '--out', path.join(t.dir, 'x.png'), '--window', 'lung'], /14\.dcm: --window "lung" is neither a preset/],
      [[SLICE, '--out', path.join(t.dir, 'x.png'), '--window', '40/0'], /14\.dcm: --window "40\/0": width 0 must be at least 1/],
      [[SLICE, '--out', path.join(t.dir, 'x.png'), '--frame', '2'], /14\.dcm: --frame 2 but the file has 1 frame/],
      [[SLICE, '--out', path.join(t.dir, 'no-such-dir', 'x.png')], /14\.dcm: cannot write .*no-such-dir.x\.png \(ENOENT/],
    ];
    for (const [args, message] of cases) {
      const r = ich('render', ...args);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    }
    expect(readdirSync(t.dir).filter((n) => n === 'x.png')).toEqual([]);
  });
});
