// Flat config: typescript-eslint's recommended rules on every TypeScript source.
import tseslint from 'typescript-eslint';

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
    // The renderer: React is its own; from the engine it takes types only, and cornerstone stays in viewer/cornerstone.
    // (Browser globals need no list here: typescript-eslint turns off no-undef, and tsc checks them with the DOM lib.)
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [
        { group: ['**/src-ml/**'], allowTypeImports: true, message: 'The renderer imports only types from src-ml/api.' },
        { group: ['cornerstone-core', 'cornerstone-wado-image-loader', 'dicom-parser'], message: 'Cornerstone sits only in src-renderer/viewer/cornerstone.' },
      ] }],
    },
  },
  {
    files: ['src-renderer/viewer/cornerstone/**'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['**/src-ml/**'], allowTypeImports: true, message: 'The renderer imports only types from src-ml/api.' }] }] },
  },
  {
    // Tests may compare the renderer's copies of engine data with the engine's own.
    files: ['src-renderer/**/*.test.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': 'off' },
  },
);
