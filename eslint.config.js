// Lint: correctness rules from typescript-eslint plus the size budgets of STYLE.md §5.
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';

const budgets = {
  'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
  'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
  // STYLE says 3. Tenant-scoped store and log methods still take (tenantId, id, payload, options);
  // until they take one scope object the enforced budget is 4. New code stays at 3.
  'max-params': ['error', 4],
};

const ANTHROPIC_SDK_ONLY_IN_ADAPTER = { group: ['@anthropic-ai/sdk', '@anthropic-ai/sdk/*'], message: 'Only src/harness/model/anthropic-*.ts may import the Anthropic SDK; use the ModelClient port (model-client.ts).' };
const MCP_SDK_ONLY_IN_ADAPTER = { group: ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*'], message: 'Only src/tools/mcp/mcp-client.ts may import the MCP SDK; use McpSessions (tools/mcp/mcp-sessions.ts).' };
const OPENAI_SDK_ONLY_IN_ADAPTER = { group: ['openai', 'openai/*'], message: 'Only src/harness/model/openai-*.ts may import the OpenAI SDK; use the ModelClient port (model-client.ts).' };

/*
 * Layer order (ARCHITECTURE.md): composition root (main, server, app, services, cli, ops) → api →
 * services → core (events, harness, tools, sandbox, blobs) → store → leaves (lib, net, config).
 * A layer may import VALUES only from layers below it; types may cross (they vanish at run time).
 * Patterns match `src/<layer>` anywhere so test/fixtures/lint can prove each rule fails.
 */
const folders = (...names) => names.flatMap((name) => [`**/${name}/*`, `**/${name}/**`]);
const LAYER_GROUPS = {
  api: folders('api'),
  services: folders('agents', 'sessions', 'environments', 'vault', 'model-cards', 'memory', 'auth', 'deployments', 'webhooks'),
  core: folders('events', 'harness', 'tools', 'sandbox', 'blobs'),
  store: folders('store'),
};
const inSrc = (...names) => names.map((name) => `**/src/${name}/**`);
/**
 * Value imports that cross the order today, each with its reason; the files stay exempt from their
 * layer's rule until the import moves. New code gets no entry here.
 */
const LAYER_EXEMPTIONS = [
  'src/sessions/session-events-service.ts', // parses client events with the API's zod schemas and zodMessage; belongs in the route.
  'src/memory/session-memory.ts', // MAX_MEMORY_STORES_PER_SESSION comes from the API schema module.
  'src/harness/harness.ts', // sandbox networking and the memory prompt are helpers living in service folders.
  'src/harness/budget-step.ts', // session budget rules and the usage shape live in sessions/.
  'src/harness/runtime.ts', // the harness's own composition root: wires the memory mounts from memory/.
  'src/sessions/session-files.ts', // session resource constants and schemas come from the API schema module.
  'src/sessions/session-resource-service.ts', // parses resource params with the API's schemas and zodMessage.
];
const layerRule = (message, ...groups) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: groups.flat(), allowTypeImports: true, message }] }],
});
const layers = [
  { files: inSrc('agents', 'sessions', 'environments', 'vault', 'model-cards', 'memory', 'auth', 'deployments', 'webhooks'), ignores: LAYER_EXEMPTIONS, rules: layerRule('services must not import values from api/ (layer order: api → services → core → store)', LAYER_GROUPS.api) },
  { files: inSrc('events', 'harness', 'tools', 'sandbox', 'blobs'), ignores: LAYER_EXEMPTIONS, rules: layerRule('the core (events, harness, tools, sandbox) must not import values from api/ or the services', LAYER_GROUPS.api, LAYER_GROUPS.services) },
  { files: inSrc('store'), rules: layerRule('store/ must not import values from the layers above it', LAYER_GROUPS.api, LAYER_GROUPS.services, LAYER_GROUPS.core) },
  { files: inSrc('lib', 'net', 'config'), rules: layerRule('lib/, net/ and config/ are leaves: no values from the layers above', LAYER_GROUPS.api, LAYER_GROUPS.services, LAYER_GROUPS.core, LAYER_GROUPS.store) },
];

export default tseslint.config(
  // test/fixtures/lint holds code that breaks the rules on purpose; test/integration/lint-rules.test.ts lints it.
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'coverage/**', 'test/fixtures/lint/**', 'console/node_modules/**', 'console/dist/**', 'test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    languageOptions: { parserOptions: { projectService: false } },
    // Without 'import-x/extensions' the plugin treats .ts files as unresolvable, and no-cycle never fires.
    settings: { 'import-x/extensions': ['.ts', '.js'], 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })] },
    rules: {
      ...budgets,
      'import-x/no-cycle': 'error',
      // A timer assigned after the cleanup closure that clears it is still "assigned once".
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The Console: same budgets; it reaches the server only over HTTP, never through src/.
    files: ['console/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
    settings: { 'import-x/extensions': ['.ts', '.tsx', '.js'], 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.tsx', '.js'] })] },
    rules: {
      ...budgets,
      'max-lines': ['warn', { max: 300, skipBlankLines: true, skipComments: true }],
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/*', '../../../src/**'], message: 'the Console talks to the server over HTTP only; it never imports server code' }] }],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['warn', { max: 300, skipBlankLines: true, skipComments: true }] },
  },
  {
    // The model port speaks our own types; only each provider's adapter files know its SDK.
    files: ['src/**/*.ts'],
    ignores: ['src/harness/model/anthropic-*.ts', 'src/harness/model/prompt-cache*.ts', 'src/harness/model/openai-*.ts', 'src/tools/mcp/mcp-client.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ANTHROPIC_SDK_ONLY_IN_ADAPTER, OPENAI_SDK_ONLY_IN_ADAPTER, MCP_SDK_ONLY_IN_ADAPTER] }] },
  },
  {
    files: ['src/harness/model/anthropic-*.ts', 'src/harness/model/prompt-cache*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [OPENAI_SDK_ONLY_IN_ADAPTER, MCP_SDK_ONLY_IN_ADAPTER] }] },
  },
  {
    files: ['src/harness/model/openai-*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ANTHROPIC_SDK_ONLY_IN_ADAPTER, MCP_SDK_ONLY_IN_ADAPTER] }] },
  },
  {
    files: ['src/tools/mcp/mcp-client.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [ANTHROPIC_SDK_ONLY_IN_ADAPTER, OPENAI_SDK_ONLY_IN_ADAPTER] }] },
  },
  ...layers,
  {
    // A promise nobody awaits hides its failure (STYLE §8.3); `void` marks the deliberate ones.
    files: ['src/**/*.ts', '**/fixtures/lint/src/**/*.ts'],
    // *-fixture.ts: virtual files that lint-rules.test.ts lints as text; no project knows them.
    ignores: ['src/**/*.test.ts', 'src/**/*-fixture.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 800, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': 'off',
    },
  },
);
