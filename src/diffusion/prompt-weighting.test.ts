// A1111's prompt syntax, checked against the examples in its own parse_prompt_attention
// docstring (with the exact floating-point products its loop computes), and its chunking.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../test/shared-data.ts';
import { parsePromptAttention, promptChunks } from './prompt-weighting.ts';
import { ClipTokenizer } from './tokenizer.ts';

describe('parsePromptAttention', () => {
  it.each([
    ['normal text', [['normal text', 1.0]]],
    [
      'an (important) word',
      [
        ['an ', 1.0],
        ['important', 1.1],
        [' word', 1.0],
      ],
    ],
    ['(unbalanced', [['unbalanced', 1.1]]],
    ['\\(literal\\]', [['(literal]', 1.0]]],
    ['(unnecessary)(parens)', [['unnecessaryparens', 1.1]]],
    [
      'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).',
      [
        ['a ', 1.0],
        ['house', 1.5730000000000004],
        [' ', 1.1],
        ['on', 1.0],
        [' a ', 1.1],
        ['hill', 0.55],
        [', sun, ', 1.1],
        ['sky', 1.4641000000000006],
        ['.', 1.1],
      ],
    ],
  ] as const)('%s', (text, expected) => {
    expect(parsePromptAttention(text)).toEqual(expected);
  });

  it('reads [word] as ÷1.1, escapes of every bracket, BREAK as its own run, and an empty prompt', () => {
    expect(parsePromptAttention('[faded]')).toEqual([['faded', 1 / 1.1]]);
    expect(parsePromptAttention('\\(a\\) \\[b\\]')).toEqual([['(a) [b]', 1.0]]);
    expect(parsePromptAttention('a cat BREAK a dog')).toEqual([
      ['a cat', 1.0],
      ['BREAK', -1],
      ['a dog', 1.0],
    ]);
    expect(parsePromptAttention('')).toEqual([['', 1.0]]);
    // A closing bracket with nothing open is text, as in A1111.
    expect(parsePromptAttention('(word:1.3) unclosed]')).toEqual([
      ['word', 1.3],
      [' unclosed]', 1.0],
    ]);
  });
});

describe('promptChunks', () => {
  const clip = ClipTokenizer.fromFiles(readFileSync(sharedPath('clip/vocab.json'), 'utf8'), readFileSync(sharedPath('clip/merges.txt'), 'utf8'));

  it('is the plain 77-token encoding for a short prompt without brackets, every weight 1', () => {
    const [chunk, ...rest] = promptChunks(clip, 'a photo of a cat');
    expect(rest).toEqual([]);
    expect(chunk!.ids).toEqual(clip.encode('a photo of a cat'));
    expect(chunk!.weights).toEqual(new Array(77).fill(1));
  });

  it('gives each token its weight; BREAK pads the chunk and starts another', () => {
    const [a, b] = promptChunks(clip, 'a (red:1.5) cat BREAK a dog');
    expect(a!.ids.slice(0, 5)).toEqual([49406, 320, 736, 2368, 49407]);
    expect(a!.weights.slice(0, 5)).toEqual([1, 1, 1.5, 1, 1]);
    expect(b!.ids.slice(0, 4)).toEqual([49406, 320, 1929, 49407]);
  });

  it('splits a long prompt into 77-token chunks, backing up to a comma near the end of a full chunk', () => {
    // 73 words, a comma, then more words: the comma lands at position 74 of 75, so the words after it move on.
    const prompt = `${Array.from({ length: 73 }, () => 'cat').join(' ')}, red dog, blue bird`;
    const chunks = promptChunks(clip, prompt);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]!.ids.filter((id) => id === 2368)).toHaveLength(73);
    expect(chunks[0]!.ids[74]).toBe(267); // the comma stays with the first chunk
    expect(chunks[1]!.ids.slice(0, 3)).toEqual([49406, 736, 1929]); // "red dog" starts the next
  });
});
