import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer, cleanText } from './tokenizer.ts';
import { sharedJson, sharedPath } from '../test/shared-data.ts';

const clip = ClipTokenizer.fromFiles(readFileSync(sharedPath('clip', 'vocab.json'), 'utf8'), readFileSync(sharedPath('clip', 'merges.txt'), 'utf8'));
const cases = sharedJson<{ text: string; ids: number[] }[]>('clip', 'tokenizer_cases.json');

describe('ClipTokenizer on the real CLIP vocabulary', () => {
  it.each(cases.map((c) => [JSON.stringify(c.text), c] as const))('reproduces CLIP for %s', (_, c) => {
    expect(clip.encode(c.text)).toEqual(c.ids);
  });

  it('starts with 49406 and pads with 49407 to 77', () => {
    const ids = clip.encode('a cat');
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(49406);
    expect(ids.slice(4)).toEqual(Array(73).fill(49407));
  });

  it('truncates long prompts to 77 ids, ending with the end token', () => {
    const ids = clip.encode(Array(200).fill('cat').join(' '));
    expect(ids).toHaveLength(77);
    expect(ids[76]).toBe(49407);
    expect(ids.slice(1, 76).every((id) => id === ids[1])).toBe(true);
  });

  it('unescapes HTML and folds whitespace before tokenizing', () => {
    expect(cleanText('  Tom &amp;amp; Jerry\n\t&lt;3  ')).toBe('tom & jerry <3');
    expect(clip.encode('fish &amp; chips')).toEqual(clip.encode('fish & chips'));
  });
});

describe('ClipTokenizer on the tiny set', () => {
  it("reads the generator's vocabulary and keeps ids inside the text encoder's table", () => {
    const dir = 'public/models/tiny-sd15/tokenizer';
    const tiny = ClipTokenizer.fromFiles(readFileSync(`${dir}/vocab.json`, 'utf8'), readFileSync(`${dir}/merges.txt`, 'utf8'));
    const size = Object.keys(JSON.parse(readFileSync(`${dir}/vocab.json`, 'utf8'))).length;
    const ids = tiny.encode('A photo of a cat sitting on a red chair, highly detailed — ünïcödé 🐈');
    expect(ids[0]).toBe(size - 2);
    expect(Math.max(...ids)).toBe(size - 1);
    expect(ids.every((id) => id >= 0 && id < size)).toBe(true);
    // Learned merges shorten common prompt words to single tokens.
    expect(tiny.tokenize('photo')).toHaveLength(1);
  });
});
