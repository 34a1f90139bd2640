// Flat config: typescript-eslint's recommended rules on every TypeScript source.
import tseslint from 'typescript-eslint';

// The layering (VS Code style): src-shared (the engine contract, labels, window presets, stages) is imported by
// every process and imports none; the renderer takes values from src-shared only, types from src-ml/api.
const RENDERER_LAYER = [
  { regex: '(^|/)src-ml/(?!api/)', message: 'The renderer imports nothing from the engine but types from src-ml/api (values: src-shared).' },
  { regex: '(^|/)src-ml/api/', allowTypeImports: true, message: 'The renderer imports only types from src-ml/api; values come from src-shared.' },
  { regex: '(^|/)src-main/', allowTypeImports: true, message: 'The renderer imports only types from src-main (the IPC contract); values come from src-shared.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'dist-renderer/**', 'out/**', 'coverage/**', 'assets/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['electron', 'react', 'react-dom'], message: 'The engine never imports Electron or React.' }] }],
    },
  },
  {
    // The domain folders sit under the entry points: nothing in them imports src-ml/host or src-ml/cli (those turn
    // the engine into processes and commands; the arrow points from them to the domain, never back).
    files: ['src-ml/**/*.ts'],
    ignores: ['src-ml/host/**', 'src-ml/cli/**', 'src-ml/base/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'react', 'react-dom'], message: 'The engine never imports Electron or React.' },
        { regex: '^(\\.\\./)+(host|cli)/', message: 'Domain folders never import src-ml/host or src-ml/cli: the entry points import the domain.' },
      ] }],
    },
  },
  {
    // The store owns every SQL statement (src-ml/store): elsewhere no node:sqlite, and no statement run on a
    // workspace's connection (ws.db.prepare / ws.db.exec); callers call the store's typed functions.
    // Tests and test fixtures may look into the index directly.
    files: ['src-ml/**/*.ts', 'src-main/**/*.ts', 'src-shared/**/*.ts'],
    ignores: ['src-ml/store/**', 'src-ml/testing/**', '**/*.test.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: "ImportDeclaration[source.value='node:sqlite'], ImportExpression[source.value='node:sqlite']", message: 'Only src-ml/store opens the index: add a typed function there.' },
        { selector: "CallExpression[callee.object.property.name='db'][callee.property.name=/^(prepare|exec)$/]", message: 'SQL lives in src-ml/store: add a typed function there and call it.' },
      ],
    },
  },
  {
    // The renderer: React is its own; its values from the other processes come from src-shared only, types from
    // src-ml/api (and the IPC contract's from src-main); cornerstone stays in viewer/cornerstone.
    // (Browser globals need no list here: typescript-eslint turns off no-undef, and tsc checks them with the DOM lib.)
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        ...RENDERER_LAYER,
        { group: ['cornerstone-core', 'cornerstone-wado-image-loader', 'dicom-parser'], message: 'Cornerstone sits only in src-renderer/viewer/cornerstone.' },
      ] }],
    },
  },
  {
    files: ['src-renderer/viewer/cornerstone/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: RENDERER_LAYER }] },
  },
  {
    // src-shared: every process imports it (the renderer in a browser included), so it imports no process
    // folder, no Node module and no UI or Electron package.
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)src-(ml|main|renderer)/', message: 'src-shared imports nothing from src-ml, src-main or src-renderer: every process imports it.' },
        { group: ['node:*', 'electron', 'react', 'react-dom'], message: 'src-shared runs in every process, the browser included: no Node, Electron or React.' },
      ] }],
    },
  },
  {
    // The main process and the preload: the contract from src-shared; of the engine only its host side (the engine
    // process protocol, file serving) and the base floor; nothing of the renderer. Tests may reach further.
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'react', 'react-dom'], message: 'The main process takes Electron as a port (electron-port.ts, required once in main.ts and preload.ts); it never imports React.' },
        { regex: '(^|/)src-ml/(?!host/|base/)', message: 'src-main takes the contract from src-shared, and of the engine only src-ml/host (and src-ml/base).' },
        { regex: '(^|/)src-renderer/', message: 'src-main imports nothing of the renderer.' },
      ] }],
    },
  },
  {
    // The base floor (src-ml/base: seeded RNG, atomic writes, error formatting, model ids) sits under every
    // engine folder, so it imports nothing from them: only its own files, Node and the contract (src-shared).
    files: ['src-ml/base/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['electron', 'react', 'react-dom'], message: 'The engine never imports Electron or React.' },
        { regex: '^\\.\\./(?!\\.\\./src-shared/)', message: 'src-ml/base imports nothing from the rest of the project (only src-shared): everything else builds on it.' },
      ] }],
    },
  },
);
