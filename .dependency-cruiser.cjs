/**
 * The layers of docs/ARCHITECTURE.md, enforced in `npm test` (`npm run check:layers`).
 * Imports only go down: core ← rules ← capabilities ← app ← server/cli/scenarios.
 * Capabilities talk through small interfaces declared by the side that needs them and wired by
 * the app, so a capability never imports another one; routes never import routes.
 */
const CAPABILITIES = '(campaigns|identity|waiting-room|availability|booking|staff|operations|pages|notifications)';
const ABOVE_CAPABILITIES = '^src/(app\\.ts|app/|server\\.ts|cli/|scenarios/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one; break it with an interface declared by the side that needs it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'src/core is the floor: time, errors, db, config, metrics, shared schemas. It knows no capability.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'rules-import-only-core-and-rules',
      severity: 'error',
      comment: 'src/rules holds pure domain rules (no I/O): they may use core and each other only.',
      from: { path: '^src/rules/' },
      to: { path: '^src/', pathNot: '^src/(core|rules)/' },
    },
    {
      name: 'capability-imports-no-other-capability',
      severity: 'error',
      comment: 'A capability takes what it needs from another through an interface it declares; the app wires them.',
      from: { path: `^src/${CAPABILITIES}/` },
      to: { path: `^src/${CAPABILITIES}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'capability-imports-nothing-above',
      severity: 'error',
      comment: 'Capabilities are below the composition (app), the server, the CLI and the scenarios.',
      from: { path: `^src/(core|rules|${CAPABILITIES})/` },
      to: { path: ABOVE_CAPABILITIES },
    },
    {
      name: 'routes-never-import-routes',
      severity: 'error',
      comment: 'A route module shares through a schema or service module, never through another routes file.',
      from: { path: '(^|/)routes\\.ts$' },
      to: { path: '(^|/)routes\\.ts$' },
    },
    {
      name: 'app-below-server-and-cli',
      severity: 'error',
      comment: 'The composition does not know how it is started.',
      from: { path: '^src/(app\\.ts|app/)' },
      to: { path: '^src/(server\\.ts|cli/)' },
    },
    {
      name: 'rehearsal-talks-http-only',
      severity: 'error',
      comment: 'The rehearsal (src/rehearsal) drives a server over HTTP like its citizens: it may use core and rules, never a capability, the app or the server (a wire type, import type only, is allowed).',
      from: { path: '^src/rehearsal/' },
      to: { path: '^src/', pathNot: '^src/(core|rules|rehearsal)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'src-never-imports-pages',
      severity: 'error',
      comment: 'The pages (web/) speak to the server over HTTP only; the one exception is the next rule.',
      from: { path: '^src/', pathNot: '^src/notifications/templates\\.ts$' },
      to: { path: '^web/' },
    },
    {
      name: 'notices-import-only-their-dictionaries',
      severity: 'error',
      comment: "The notifications' templates render the pages' notice dictionaries (pure data and functions, no DOM): those two files and nothing else of web/.",
      from: { path: '^src/notifications/templates\\.ts$' },
      to: { path: '^web/', pathNot: '^web/i18n/(ko|en)/notices\\.ts$' },
    },
    {
      name: 'src-never-imports-tests',
      severity: 'error',
      comment: 'Test doubles live under test/.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true, // type-only imports count: an interface imported is still a dependency
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
