import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.yeyak/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Domain code takes a Clock; use clock.now().',
        },
      ],
    },
  },
  {
    files: ['src/core/clock.ts', 'bench/**', 'test/**', 'src/core/metrics.ts', 'src/cli/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
