// Commander actions whose module is imported when the command runs, not when the program is built: the
// command modules import the engine (TensorFlow.js alone takes about 0.3 s), which `--help` never needs.

/** Names of M's members that are functions. */
type FunctionKeys<M> = { [K in keyof M]: M[K] extends (...args: never[]) => unknown ? K : never }[keyof M];

/** An action handler that loads `load()` and calls its export `name` with commander's arguments. */
export function lazyAction<M, K extends FunctionKeys<M>>(load: () => Promise<M>, name: K): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const fn = (await load())[name] as (...a: unknown[]) => unknown;
    await fn(...args);
  };
}
