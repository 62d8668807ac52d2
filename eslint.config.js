import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Reading the machine's clock: only src/core/clock.ts does it; everything else takes a Clock. */
const CLOCK_MESSAGE =
  'Read time from a Clock (src/core/clock.ts): clock.nowMs(), clock.now(), clock.monotonicMs(); ' +
  'with no clock to hand (bench, test helpers, CLI) use systemClock or machineMonotonicMs.';
const MACHINE_CLOCK = [
  // Member expressions, so a reference passed along (`now: Date.now`) is caught as well as a call,
  // and `globalThis.performance.now` as well as `performance.now`.
  { selector: "MemberExpression[object.name='Date'][property.name='now']", message: CLOCK_MESSAGE },
  { selector: "MemberExpression[object.name='performance'][property.name='now']", message: CLOCK_MESSAGE },
  { selector: "MemberExpression[property.name='now'][object.property.name=/^(Date|performance)$/]", message: CLOCK_MESSAGE },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: CLOCK_MESSAGE },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.yeyak/', 'dist/', 'scratch/', 'screenshots/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', ...MACHINE_CLOCK],
    },
  },
  {
    // Issue #8 (TigerBeetle's rule): no file over 400 lines, no function over 70, unless an
    // eslint-disable comment at the spot says why. Tests are exempt: a test file is a list of cases.
    files: ['src/**', 'bench/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    // Tool configuration written as CommonJS (.dependency-cruiser.cjs).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // The pages read the browser's clock in one place too (web/shared/clock.ts).
    files: ['src/core/clock.ts', 'web/shared/clock.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
