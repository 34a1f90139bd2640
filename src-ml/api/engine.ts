// The engine contract, for the engine's own importers: it lives in src-shared/ (engine.ts the records and
// events, engine-validate.ts the request checks, engine-methods.ts the method table), one copy for every process.
export * from '../../src-shared/engine.ts';
export * from '../../src-shared/engine-validate.ts';
export * from '../../src-shared/engine-methods.ts';
