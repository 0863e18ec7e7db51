/**
 * The boundary rules of eslint.config.js must be able to fail: each one is run against code that
 * breaks it. Repro: before `import-x/extensions` listed `.ts`, no-cycle resolved no import at all and
 * accepted the advance.ts ⇄ model-step.ts cycle.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd(), ignore: false });

async function ruleIds(files: string[]): Promise<string[]> {
  const results = await eslint.lintFiles(files);
  return results.flatMap((result) => result.messages.map((message) => message.ruleId ?? message.message));
}

async function ruleIdsForText(code: string, filePath: string): Promise<string[]> {
  const results = await eslint.lintText(code, { filePath });
  return results.flatMap((result) => result.messages.map((message) => message.ruleId ?? message.message));
}

describe('lint boundaries', () => {
  it('rejects an import cycle between .ts files', async () => {
    const ids = await ruleIds(['test/fixtures/lint/cycle/first.ts', 'test/fixtures/lint/cycle/second.ts']);
    expect(ids.filter((id) => id === 'import-x/no-cycle')).toHaveLength(2);
  }, 60_000);

  it('rejects value imports that go up the layer order, and lets type imports cross', async () => {
    const fixtures = 'test/fixtures/lint/src';
    expect(await ruleIds([`${fixtures}/store/imports-api-value.ts`])).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds([`${fixtures}/harness/imports-service.ts`])).toContain('@typescript-eslint/no-restricted-imports');
    expect(await ruleIds([`${fixtures}/store/imports-api-type.ts`])).toEqual([]);
  }, 120_000);

  it('rejects a floating promise (type-aware)', async () => {
    expect(await ruleIds(['test/fixtures/lint/src/harness/floating-promise.ts'])).toEqual(['@typescript-eslint/no-floating-promises']);
  }, 120_000);

  it('rejects the Anthropic SDK outside the Anthropic adapter', async () => {
    const code = "import type Anthropic from '@anthropic-ai/sdk';\nexport type Message = Anthropic.Message;\n";
    expect(await ruleIdsForText(code, 'src/harness/model-step-fixture.ts')).toContain('no-restricted-imports');
    expect(await ruleIdsForText(code, 'src/harness/model/anthropic-fixture.ts')).not.toContain('no-restricted-imports');
  }, 60_000);

  it('rejects the OpenAI SDK outside the OpenAI adapter, and each SDK in the other adapter', async () => {
    const openai = "import type OpenAI from 'openai';\nexport type Chunk = OpenAI.Chat.ChatCompletionChunk;\n";
    const anthropic = "import type Anthropic from '@anthropic-ai/sdk';\nexport type Message = Anthropic.Message;\n";
    expect(await ruleIdsForText(openai, 'src/harness/model-step-fixture.ts')).toContain('no-restricted-imports');
    expect(await ruleIdsForText(openai, 'src/harness/model/anthropic-fixture.ts')).toContain('no-restricted-imports');
    expect(await ruleIdsForText(openai, 'src/harness/model/openai-fixture.ts')).not.toContain('no-restricted-imports');
    expect(await ruleIdsForText(anthropic, 'src/harness/model/openai-fixture.ts')).toContain('no-restricted-imports');
  }, 60_000);
});
