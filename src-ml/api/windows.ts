// Display window presets, for the engine's own importers (CLI, synth gallery): they live in src-shared/windows.ts.
export * from '../../src-shared/windows.ts';
