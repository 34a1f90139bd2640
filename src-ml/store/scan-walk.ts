// The folder walk of a scan: every regular file under the roots, each read once. Links to folders are
// followed once (a set of the real paths walked so far): a link back into a folder being walked
// (`ln -s . a`) is a loop, and a second way into a folder already walked is a repeat; both are
// reported, not followed, so two loops cannot make the walk endless and a self link cannot list the
// same files again under l1/l1/... A file reached twice (a link to a file already listed) is
// reported and listed once. FIFOs, sockets and devices are left out, as they are not files to read.
import { accessSync, constants, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../base/errors.ts';

const codeOf = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? errorMessage(err);

/**
 * A scan root: it exists, is a folder or a file, and can be read; else an Error with one line naming it
 * (the wording of `ich scan`'s own check, train/preflight.ts checkScanPath, which runs before a workspace opens).
 */
export function checkScanRoot(p: string): void {
  let st;
  try {
    st = statSync(p);
  } catch (err) {
    const code = codeOf(err);
    throw new Error(code === 'ENOENT' || code === 'ENOTDIR' ? `${p} does not exist` : `${p} cannot be read (${code})`);
  }
  if (!st.isDirectory() && !st.isFile()) throw new Error(`${p} is neither a folder nor a file`);
  try {
    accessSync(p, st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
  } catch (err) {
    throw new Error(`${p} is not readable (${codeOf(err)})`);
  }
}

/** Called with a path the walk could not read or did not follow, and a one-line reason. */
export type WalkProblemListener = (p: string, message: string) => void;

/** Every regular file under the roots, absolute and sorted; unreadable folders and links are reported, not fatal. */
export function listFiles(roots: string[], onError: WalkProblemListener): string[] {
  /** Real path of each folder walked -> the path it was walked under. */
  const walkedDirs = new Map<string, string>();
  /** Real path of each root folder -> the root as given: a link into one defers to the root. */
  const rootDirs = new Map<string, string>();
  /** Real path of each file listed -> the path it is listed under. */
  const listedFiles = new Map<string, string>();
  const out: string[] = [];

  const addFile = (p: string, real: string) => {
    const first = listedFiles.get(real);
    if (first === undefined) {
      listedFiles.set(real, p);
      out.push(p);
    } else if (first !== p) {
      onError(p, `same file as ${first} (reached through a link); read once`);
    }
  };

  /** Walks folder p (real path `real`); `open` holds the real paths of the folders being walked above it. */
  const walkDir = (p: string, real: string, open: Set<string>) => {
    walkedDirs.set(real, p);
    open.add(real);
    let entries: Dirent[];
    try {
      entries = readdirSync(p, { withFileTypes: true });
    } catch (err) {
      onError(p, errorMessage(err));
      open.delete(real);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const child = path.join(p, e.name);
      if (e.isSymbolicLink()) {
        let target: string;
        let isDir: boolean;
        let isFile: boolean;
        try {
          target = realpathSync(child);
          const st = statSync(target);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch (err) {
          onError(child, errorMessage(err));
          continue;
        }
        if (isDir) enterDir(child, target, open, true);
        else if (isFile) addFile(child, target);
      } else if (e.isDirectory()) {
        enterDir(child, path.join(real, e.name), open, false);
      } else if (e.isFile()) {
        addFile(child, path.join(real, e.name));
      }
    }
    open.delete(real);
  };

  const enterDir = (p: string, real: string, open: Set<string>, viaLink: boolean) => {
    const first = walkedDirs.get(real) ?? (viaLink ? rootDirs.get(real) : undefined);
    if (first === undefined) {
      walkDir(p, real, open);
    } else if (open.has(real)) {
      onError(p, `folder link loop: leads back to ${first}, which holds it; not followed`);
    } else {
      onError(p, `link to a folder scanned as ${first}; not followed`);
    }
  };

  // Roots in order of their real paths, so a folder comes before the roots inside it (which it covers).
  const resolved: { abs: string; real: string }[] = [];
  for (const root of roots) {
    const abs = path.resolve(root);
    try {
      resolved.push({ abs, real: realpathSync(abs) });
    } catch (err) {
      onError(abs, errorMessage(err));
    }
  }
  resolved.sort((a, b) => (a.real < b.real ? -1 : a.real > b.real ? 1 : 0));
  const kinds = new Map<string, 'file' | 'dir' | 'other'>();
  for (const { abs, real } of resolved) {
    try {
      const st = statSync(abs);
      kinds.set(abs, st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other');
      if (st.isDirectory() && !rootDirs.has(real)) rootDirs.set(real, abs);
    } catch (err) {
      onError(abs, errorMessage(err));
    }
  }
  for (const { abs, real } of resolved) {
    const kind = kinds.get(abs);
    if (kind === 'file') addFile(abs, real);
    // A root already walked (given twice, or inside another root) adds nothing and is no problem.
    else if (kind === 'dir' && !walkedDirs.has(real)) walkDir(abs, real, new Set());
  }
  return out.sort();
}
