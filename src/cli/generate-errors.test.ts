// npm run generate with inputs people get wrong: each is refused in words that name the
// problem and what the set does have; a control image of any size is fitted, not refused.
import { mkdtempSync, readFileSync, writeFileSync, cpSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePngImage, readPngText } from '../image/png.ts';
import { parseParameters } from '../image/parameters.ts';
import { sharedPath } from '../test/shared-data.ts';
import { joinNegativeValues, main } from './generate.ts';

const SET = 'public/models/tiny-sd15';
const dir = () => mkdtempSync(join(tmpdir(), 'gen-'));
const BIRD = sharedPath('images', 'bird.png');
const base = (out: string) => ['--prompt', 'a bird', '--steps', '1', '--width', '64', '--height', '64', '--out', out];

describe('generate CLI inputs', () => {
  it('fits a 512-wide photo to 64×64 (Crop and Resize by default), or preprocesses it with --preprocess canny', async () => {
    const d = dir();
    const out = join(d, 'a.png');
    await main(['--models', SET, '--control', `canny=${BIRD}`, '--preprocess', 'canny', '--resize-mode', 'fill', ...base(out)]);
    const png = new Uint8Array(readFileSync(out));
    expect(decodePngImage(png).width).toBe(64);
    expect(parseParameters(readPngText(png).parameters!).fields['ControlNet 0']).toContain(
      'Module: canny, Model: canny, Weight: 1, Guidance Start: 0, Guidance End: 1, Control Mode: Balanced, Resize Mode: Resize and Fill',
    );
    await main(['--models', SET, '--control', `canny=${BIRD}`, ...base(join(d, 'b.png'))]);
  });

  it('reads "--cfg -3" as a value (and refuses it in words)', async () => {
    expect(joinNegativeValues(['--cfg', '-3', '--seed', '5'])).toEqual(['--cfg=-3', '--seed', '5']);
    await expect(main(['--models', SET, '--cfg', '-3', ...base(join(dir(), 'x.png'))])).rejects.toThrow('--cfg must be between 1 (guidance off) and 30, as in the studio (got -3).');
  });

  it('names a missing models folder, a folder that is not a set, a set without its text encoder, and an unknown ControlNet', async () => {
    const out = join(dir(), 'x.png');
    await expect(main(['--models', '/nowhere/set', ...base(out)])).rejects.toThrow('--models /nowhere/set: there is no such folder. Give the folder of a model set (the one with model_index.json).');
    await expect(main(['--models', dir(), ...base(out)])).rejects.toThrow(/has no model_index\.json: it is not a model set/);
    const partial = join(dir(), 'set');
    cpSync(SET, partial, { recursive: true });
    rmSync(join(partial, 'text_encoder'), { recursive: true });
    await expect(main(['--models', partial, ...base(out)])).rejects.toThrow(
      'The set has no text_encoder/model.onnx, which every set needs. It has unet/model.onnx, vae_decoder/model.onnx, vae_encoder/model.onnx, ControlNets canny, scribble, zero-init, inpaint. Is it a complete set in the diffusers ONNX layout?',
    );
    await expect(main(['--models', SET, '--control', `nosuch=${BIRD}`, ...base(out)])).rejects.toThrow('There is no ControlNet named nosuch; this set has canny, scribble, zero-init, inpaint.');
  });

  it('says a text file given as a control image is not an image', async () => {
    const d = dir();
    writeFileSync(join(d, 'notes.png'), 'prompt ideas\n');
    await expect(main(['--models', SET, '--control', `canny=${join(d, 'notes.png')}`, ...base(join(d, 'x.png'))])).rejects.toThrow(`${join(d, 'notes.png')} is not an image. Give a PNG file.`);
    writeFileSync(join(d, 'photo.jpg'), Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]));
    await expect(main(['--models', SET, '--control', `canny=${join(d, 'photo.jpg')}`, ...base(join(d, 'x.png'))])).rejects.toThrow('is a JPEG image; the CLI reads PNG files');
  });
});
