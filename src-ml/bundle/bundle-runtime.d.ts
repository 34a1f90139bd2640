// Types of bundle-runtime.js (plain JavaScript: it runs before anything can compile TypeScript).
export interface BundleManifest {
  format: 1;
  dir: string;
  builtAt: string;
  /** Repo-relative source path -> bundled file name in the build folder. */
  entries: Record<string, string>;
  /** [repo-relative path, size, mtimeMs] of every file the build came from. */
  inputs: [string, number, number][];
}

export interface Bundle {
  dir: string;
  has(url: string): boolean;
  entryUrl(source: string): string;
  install(): void;
}

export const REPO_ROOT: string;
export const BUNDLE_ROOT: string;
export const MANIFEST: string;
export const BUILD_SCRIPT: string;
export const BUNDLE_ENV: string;
export const NO_BUNDLE_ENV: string;
export function freshManifest(root?: string, repo?: string): BundleManifest | null;
export function openBundle(options?: { root?: string; repo?: string; rebuild?: boolean }): Bundle | null;
export function parentBundle(repo?: string): Bundle | null;
export function requestRebuild(root?: string, repo?: string): boolean;
