import { describe, expect, it } from 'vitest';
import { withPromptSection } from './system-prompt.ts';

describe('withPromptSection', () => {
  it('appends the section after a blank line, or makes it the whole prompt when the agent has none', () => {
    expect(withPromptSection({ name: 'a', system: 'Be brief.' }, '# Memory\nnotes')).toEqual({ name: 'a', system: 'Be brief.\n\n# Memory\nnotes' });
    expect(withPromptSection({ name: 'a', system: null }, '# Skills')).toEqual({ name: 'a', system: '# Skills' });
    expect(withPromptSection({ name: 'a', system: '' }, '# Skills')).toEqual({ name: 'a', system: '# Skills' });
  });

  it('returns the agent itself without a section, and no agent without one', () => {
    const agent = { name: 'a', system: 'Be brief.' };
    expect(withPromptSection(agent, undefined)).toBe(agent);
    expect(withPromptSection(agent, '')).toBe(agent);
    expect(withPromptSection(null, '# Memory')).toBeNull();
  });
});
