// Types of build-bundle.js (plain JavaScript, run by npm's prepare before anything can compile TypeScript).
export const MAIN_ENTRIES: string[];
export function discoverEntries(repo?: string): string[];
export function entryName(source: string): string;
export function buildBundle(options?: { repo?: string; root?: string; entries?: string[] }): Promise<{ published: boolean; dir: string; modules: number; ms: number; reason?: string }>;
