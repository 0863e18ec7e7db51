import type Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { CACHE_LOOKBACK_BLOCKS, MAX_BREAKPOINTS, withCacheBreakpoints, type AnthropicRequest } from './prompt-cache.ts';

const EPHEMERAL = { type: 'ephemeral' };

function tool(name: string): Anthropic.Tool {
  return { name, description: `${name} tool`, input_schema: { type: 'object', properties: {} } };
}

function countMarkers(request: AnthropicRequest): number {
  return (JSON.stringify(request).match(/"cache_control"/g) ?? []).length;
}

function toolRound(id: string): Anthropic.MessageParam[] {
  return [
    { role: 'assistant', content: [{ type: 'tool_use', id, name: 'bash', input: { command: 'ls' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok' }] },
  ];
}

const BASE: AnthropicRequest = {
  model: 'claude-test-model',
  max_tokens: 100,
  system: 'Be brief.',
  tools: [tool('read'), tool('bash')],
  messages: [{ role: 'user', content: 'Hello' }],
};

describe('withCacheBreakpoints', () => {
  it('marks the last tool, the system prompt and the last message block', () => {
    const result = withCacheBreakpoints(BASE);
    expect(result.tools).toEqual([tool('read'), { ...tool('bash'), cache_control: EPHEMERAL }]);
    expect(result.system).toEqual([{ type: 'text', text: 'Be brief.', cache_control: EPHEMERAL }]);
    expect(result.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hello', cache_control: EPHEMERAL }] }]);
    expect(countMarkers(result)).toBe(3);
  });

  it('never mutates its input', () => {
    const input = structuredClone({ ...BASE, system: [{ type: 'text' as const, text: 'a' }, { type: 'text' as const, text: 'b' }] });
    const snapshot = structuredClone(input);
    const result = withCacheBreakpoints(input);
    expect(input).toEqual(snapshot);
    expect(result.system).toEqual([{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cache_control: EPHEMERAL }]);
  });

  it('skips thinking and empty text blocks when choosing the message block', () => {
    const result = withCacheBreakpoints({
      ...BASE,
      messages: [
        { role: 'user', content: 'Hi' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Sure' },
            { type: 'thinking', thinking: 'hmm', signature: 'sig' },
            { type: 'text', text: '' },
          ],
        },
      ],
    });
    expect(result.messages[1]!.content).toEqual([
      { type: 'text', text: 'Sure', cache_control: EPHEMERAL },
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: '' },
    ]);
  });

  it('leaves out absent tools and system', () => {
    const result = withCacheBreakpoints({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] });
    expect(result).not.toHaveProperty('tools');
    expect(result).not.toHaveProperty('system');
    expect(countMarkers(result)).toBe(1);
  });

  it('marks the previous user message when it is out of the cache lookback', () => {
    const wideRound: Anthropic.MessageParam[] = [
      {
        role: 'assistant',
        content: Array.from({ length: CACHE_LOOKBACK_BLOCKS }, (_, index) => ({
          type: 'tool_use' as const,
          id: `toolu_${index}`,
          name: 'read',
          input: {},
        })),
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_0', content: 'ok' }] },
    ];
    const result = withCacheBreakpoints({ ...BASE, messages: [{ role: 'user', content: 'start' }, ...toolRound('a'), ...wideRound] });
    expect(result.messages[2]!.content).toEqual([{ type: 'tool_result', tool_use_id: 'a', content: 'ok', cache_control: EPHEMERAL }]);
    expect(countMarkers(result)).toBe(MAX_BREAKPOINTS);
  });

  it('does not mark an earlier message that the lookback still reaches', () => {
    const result = withCacheBreakpoints({ ...BASE, messages: [{ role: 'user', content: 'start' }, ...toolRound('a'), ...toolRound('b')] });
    expect(result.messages[2]).toEqual(toolRound('a')[1]);
    expect(countMarkers(result)).toBe(3);
  });

  it('counts markers the caller set and never exceeds four', () => {
    const premarked: AnthropicRequest = {
      ...BASE,
      system: [
        { type: 'text', text: 'one', cache_control: EPHEMERAL as Anthropic.CacheControlEphemeral },
        { type: 'text', text: 'two', cache_control: EPHEMERAL as Anthropic.CacheControlEphemeral },
        { type: 'text', text: 'three', cache_control: EPHEMERAL as Anthropic.CacheControlEphemeral },
      ],
    };
    const result = withCacheBreakpoints(premarked);
    expect(countMarkers(result)).toBe(MAX_BREAKPOINTS);
    expect(result.tools!.at(-1)).toHaveProperty('cache_control');
    expect(result.messages).toEqual(premarked.messages);
  });
  it('counts markers the caller set anywhere in the history, however far back', () => {
    const marked = (text: string): Anthropic.TextBlockParam => ({ type: 'text', text, cache_control: EPHEMERAL as Anthropic.CacheControlEphemeral });
    const early: Anthropic.MessageParam[] = [
      { role: 'user', content: [marked('one')] },
      { role: 'assistant', content: [marked('two')] },
      { role: 'user', content: [{ type: 'text', text: 'plain' }, marked('three')] },
    ];
    const history = [...early, ...Array.from({ length: 50 }, (_, i) => toolRound(`t${i}`)).flat()];
    const result = withCacheBreakpoints({ ...BASE, messages: history });
    expect(countMarkers(result)).toBe(MAX_BREAKPOINTS);
    expect(result.tools!.at(-1)).toHaveProperty('cache_control');
    expect(result.system).toBe(BASE.system);
    expect(result.messages).toEqual(history);
  });
});
