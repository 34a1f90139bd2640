// `ich models list`: the table for a terminal (the --json rows are store/versions.ts versionSummaries).
import type { VersionSummary } from '../api/training.ts';
export { versionSummaries } from '../store/versions.ts';

export function formatVersions(list: readonly VersionSummary[]): string {
  if (list.length === 0) return 'no model versions yet: run ich pipeline';
  const rows = [['version', 'status', 'created', 'preset', 'baseline', 'safe', 'risky']];
  for (const v of list) {
    const stage = (name: string): string => v.report?.stages.find((s) => s.name === name)?.oofMetric.toFixed(4) ?? '-';
    rows.push([v.version, v.status, v.createdAt.replace('T', ' ').slice(0, 19), v.preset || '-', v.report?.baseline?.toFixed(4) ?? '-', stage('ensemble-safe'), stage('ensemble-risky')]);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(w[c]!)).join('  ')).join('\n');
}
