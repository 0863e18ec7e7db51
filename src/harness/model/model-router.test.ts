import { describe, expect, it } from 'vitest';
import { ModelCardUnreadableError, ModelRouter } from './model-router.ts';
import { ModelError } from './model-client.ts';

async function resolveError(findCard: () => Promise<never>): Promise<ModelError> {
  const router = new ModelRouter({ findCard, fallback: {} });
  const error = await router.resolve('tenant_a', 'claude-sonnet-4-6').then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

describe('ModelRouter: a card that cannot be resolved', () => {
  it('is retried when the read itself failed (e.g. no free database connection in time)', async () => {
    const error = await resolveError(async () => {
      throw new Error('timeout exceeded when trying to connect');
    });
    expect(error.kind).toBe('connection');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('timeout exceeded when trying to connect');
  });

  it('ends the turn when the stored card does not open (retrying cannot help)', async () => {
    const error = await resolveError(async () => {
      throw new ModelCardUnreadableError('api_key of mdlcard_1 does not open for tenant tenant_a');
    });
    expect(error.kind).toBe('client');
    expect(error.isRetryable).toBe(false);
    expect(error.message).toMatch(/update the card's api_key and headers/);
  });
});
