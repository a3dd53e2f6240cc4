import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, parseControl } from './generate.ts';
import { decodePngImage, readPngText } from '../image/png.ts';
import { parseParameters } from '../image/parameters.ts';
import { sharedPath } from '../test/shared-data.ts';
import { encodePngWithText } from '../image/png.ts';
import { writeFileSync } from 'node:fs';

describe('generate CLI', () => {
  it('parses --control specs', () => {
    expect(parseControl('canny=edges.png')).toEqual({ model: 'canny', path: 'edges.png', weight: 1, start: 0, end: 1, mode: 'balanced' });
    expect(parseControl('scribble=a.png:0.5:0.1:0.8:prompt')).toEqual({ model: 'scribble', path: 'a.png', weight: 0.5, start: 0.1, end: 0.8, mode: 'prompt' });
    expect(() => parseControl('canny')).toThrow(/<name>=<png>/);
  });

  it('writes a valid PNG whose A1111 parameters round-trip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    // A 64×64 control map cut from ControlNet's own test image.
    const bird = decodePngImage(new Uint8Array(readFileSync(sharedPath('images', 'bird.png'))));
    const crop = new Uint8ClampedArray(64 * 64 * 4);
    for (let y = 0; y < 64; y++) crop.set(bird.data.subarray(y * bird.width * 4, (y * bird.width + 64) * 4), y * 64 * 4);
    writeFileSync(join(dir, 'hint.png'), encodePngWithText({ data: crop, width: 64, height: 64 }, {}));
    const out = join(dir, 'out.png');
    await main([
      '--models',
      'public/models/tiny-sd15',
      '--prompt',
      'a bird on a branch',
      '--negative',
      'blurry',
      '--control',
      `canny=${join(dir, 'hint.png')}:0.8:0:1`,
      '--control',
      `scribble=${join(dir, 'hint.png')}:0.5`,
      '--steps',
      '3',
      '--sampler',
      'dpmpp-2m-karras',
      '--cfg',
      '7',
      '--seed',
      '18446744073709551615',
      '--width',
      '64',
      '--height',
      '64',
      '--out',
      out,
    ]);
    const png = new Uint8Array(readFileSync(out));
    const image = decodePngImage(png);
    expect([image.width, image.height]).toEqual([64, 64]);
    const params = parseParameters(readPngText(png).parameters!);
    expect(params.prompt).toBe('a bird on a branch');
    expect(params.negativePrompt).toBe('blurry');
    expect(params.fields).toMatchObject({ Steps: '3', Sampler: 'DPM++ 2M Karras', 'CFG scale': '7', Seed: '18446744073709551615', Size: '64x64', Model: 'tiny-sd15' });
    expect(params.fields['ControlNet 0']).toContain('Model: canny, Weight: 0.8');
    expect(params.fields['ControlNet 1']).toContain('Model: scribble, Weight: 0.5');
  });
});
