import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decodePngImage, encodePngWithText, readPngText } from './png.ts';
import { formatParameters, parseParameters, type ParametersInfo } from './parameters.ts';
import { sharedPath } from '../test/shared-data.ts';

const info: ParametersInfo = {
  prompt: 'a bird, "detailed"\nsecond line',
  negativePrompt: 'blurry, low quality',
  steps: 20,
  sampler: 'Euler a',
  cfgScale: 7.5,
  seed: '18446744073709551615',
  width: 512,
  height: 768,
  model: 'tiny-sd15',
  units: [
    { module: 'canny', model: 'canny', weight: 1, guidanceStart: 0, guidanceEnd: 1, controlMode: 'Balanced', resizeMode: 'Crop and Resize', pixelPerfect: true },
    { module: 'scribble_xdog', model: 'scribble', weight: 0.5, guidanceStart: 0.1, guidanceEnd: 0.9, controlMode: 'My prompt is more important', resizeMode: 'Just Resize', pixelPerfect: false },
  ],
};

describe('A1111 parameters', () => {
  it('formats the A1111 layout with one ControlNet entry per unit', () => {
    const text = formatParameters(info);
    expect(text.split('\n')[2]).toBe('Negative prompt: blurry, low quality');
    expect(text).toContain(
      'Steps: 20, Sampler: Euler a, CFG scale: 7.5, Seed: 18446744073709551615, Size: 512x768, Model: tiny-sd15, ControlNet 0: "Module: canny, Model: canny, Weight: 1, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced, Resize Mode: Crop and Resize, Pixel Perfect: True"',
    );
    expect(text).toContain('ControlNet 1: "Module: scribble_xdog, Model: scribble, Weight: 0.5, Guidance Start: 0.1, Guidance End: 0.9, Control Mode: My prompt is more important');
  });

  it('round-trips through parseParameters', () => {
    const parsed = parseParameters(formatParameters(info));
    expect(parsed.prompt).toBe(info.prompt);
    expect(parsed.negativePrompt).toBe(info.negativePrompt);
    expect(parsed.fields['Seed']).toBe('18446744073709551615');
    expect(parsed.fields['ControlNet 1']).toMatch(/^Module: scribble_xdog, Model: scribble, Weight: 0.5/);
  });

  it('sanitises values that would break the line', () => {
    const text = formatParameters({ ...info, model: 'evil, Seed: 1\u0000', units: [] });
    expect(text).toContain('Model: evil Seed 1');
    expect(text).not.toContain('\u0000');
  });
});

describe('PNG text chunks', () => {
  it('writes tEXt for Latin-1 and iTXt for other text, and reads both back with the pixels intact', () => {
    const image = { width: 3, height: 2, data: Uint8ClampedArray.from({ length: 24 }, (_, i) => i * 10) };
    const png = encodePngWithText(image, { parameters: 'café, 7.5', comment: '猫 🐈' });
    expect(readPngText(png)).toEqual({ parameters: 'café, 7.5', comment: '猫 🐈' });
    const back = decodePngImage(png);
    expect([...back.data]).toEqual([...image.data]);
  });

  it('decodes ControlNet test images to RGBA', () => {
    const img = decodePngImage(new Uint8Array(readFileSync(sharedPath('images', 'bird.png'))));
    expect(img.width * img.height * 4).toBe(img.data.length);
    expect(img.data[3]).toBe(255);
  });
});
