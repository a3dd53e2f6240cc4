// The CLIP vocabulary the studio ships, turned into tokenizer files: identical to the Hugging
// Face layout derived from the same file (../shared/data/clip), and the reference tokenisations hold.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLIP_VOCAB } from '../cli/convert.ts';
import { ClipTokenizer } from '../diffusion/tokenizer.ts';
import { sharedJson, sharedPath } from '../test/shared-data.ts';
import { bpeText, clipTokenizerFiles } from './clip-vocab.ts';

describe('CLIP vocabulary from the shipped merge list', () => {
  it('gives exactly the reference vocab.json and merges.txt', async () => {
    const files = clipTokenizerFiles(await bpeText(new Uint8Array(readFileSync(CLIP_VOCAB))));
    expect(JSON.parse(files.vocab)).toEqual(JSON.parse(readFileSync(sharedPath('clip/vocab.json'), 'utf8')));
    expect(files.merges.trim()).toBe(readFileSync(sharedPath('clip/merges.txt'), 'utf8').trim());
    const tokenizer = ClipTokenizer.fromFiles(files.vocab, files.merges);
    for (const c of sharedJson<{ text: string; ids: number[] }[]>('clip/tokenizer_cases.json')) expect(tokenizer.encode(c.text), c.text).toEqual(c.ids);
  });

  it('reads the file whether or not the server already unpacked it (Content-Encoding: gzip)', async () => {
    const packed = new Uint8Array(readFileSync(CLIP_VOCAB));
    expect(await bpeText(new Uint8Array(gunzipSync(packed)))).toBe(await bpeText(packed));
  });
});
