// LoRAs through the CLIs: a set with two LoRAs baked in by `npm run convert --lora` and the
// plain set with the same LoRAs applied at load by `npm run generate --lora` give the same
// image (within 1/255), as do <lora:name:m> tags in the prompt; the PNG keeps the prompt as
// typed and carries A1111's "Lora hashes" (each file's sha256, first 12 hex digits).
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseParameters } from '../image/parameters.ts';
import { decodePngImage, readPngText } from '../image/png.ts';
import { CHECKPOINTS } from '../test/checkpoint-cases.ts';
import { LORA_DIR } from '../test/lora-cases.ts';
import { main as convert } from './convert.ts';
import { main as generate } from './generate.ts';
import { parseLoraSpec } from './loras.ts';

const dir = mkdtempSync(join(tmpdir(), 'lora-cli-'));
const lora = (name: string) => join(LORA_DIR(), name);
const [plain, baked] = [join(dir, 'plain'), join(dir, 'baked')];
const RUN = ['--negative', 'blurry', '--steps', '2', '--sampler', 'euler', '--cfg', '5', '--seed', '3', '--width', '64', '--height', '64'];

async function image(args: string[], name: string) {
  const out = join(dir, name);
  await generate([...args, ...RUN, '--out', out]);
  const png = new Uint8Array(readFileSync(out));
  return { pixels: decodePngImage(png).data, params: parseParameters(readPngText(png).parameters!) };
}

const maxDiff = (a: Uint8ClampedArray, b: Uint8ClampedArray) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

beforeAll(async () => {
  const checkpoint = join(CHECKPOINTS(), 'single-file/model.safetensors');
  await convert(['--checkpoint', checkpoint, '--out', plain, '--precision', 'fp32', '--text-heads', '2'], () => {});
  await convert(
    ['--checkpoint', checkpoint, '--lora', `${lora('kohya.safetensors')}:0.7`, '--lora', `${lora('peft.safetensors')}:0.5`, '--out', baked, '--precision', 'fp32', '--text-heads', '2'],
    () => {},
  );
}, 60_000);

describe('LoRAs in the CLIs', () => {
  it('reads --lora specs as A1111 reads a tag’s numbers (te, then unet defaulting to te)', () => {
    expect(parseLoraSpec('a/b.safetensors')).toEqual({ path: 'a/b.safetensors', text: 1, unet: 1 });
    expect(parseLoraSpec('b.safetensors:0.8')).toEqual({ path: 'b.safetensors', text: 0.8, unet: 0.8 });
    expect(parseLoraSpec('https://host/x.safetensors:0.3:1')).toEqual({ path: 'https://host/x.safetensors', text: 0.3, unet: 1 });
    expect(parseLoraSpec('b.safetensors:unet=0.2')).toEqual({ path: 'b.safetensors', text: 1, unet: 0.2 });
  });

  it('applied at load equals baked, by --lora and by prompt tags; the PNG says which LoRAs, by hash', async () => {
    const fromBaked = await image(['--models', baked, '--prompt', 'a cat'], 'baked.png');
    const atLoad = await image(['--models', plain, '--prompt', 'a cat', '--lora', `${lora('kohya.safetensors')}:0.7`, '--lora', `${lora('peft.safetensors')}:0.5`], 'at-load.png');
    const tagged = await image(['--models', plain, '--prompt', 'a cat <lora:kohya:0.7> <lora:peft:0.5>', '--lora-dir', LORA_DIR()], 'tagged.png');
    const without = await image(['--models', plain, '--prompt', 'a cat'], 'without.png');
    expect(maxDiff(atLoad.pixels, fromBaked.pixels)).toBeLessThanOrEqual(1);
    expect(maxDiff(tagged.pixels, atLoad.pixels)).toBeLessThanOrEqual(1);
    // The LoRAs change the image: were they dropped, the comparisons above would still pass against `without`.
    expect(maxDiff(without.pixels, atLoad.pixels)).toBeGreaterThan(8);
    const hash = (f: string) =>
      createHash('sha256')
        .update(readFileSync(lora(f)))
        .digest('hex')
        .slice(0, 12);
    expect(tagged.params.prompt).toBe('a cat <lora:kohya:0.7> <lora:peft:0.5>');
    expect(tagged.params.fields['Lora hashes']).toBe(`kohya: ${hash('kohya.safetensors')}, peft: ${hash('peft.safetensors')}`);
  });

  it('a tag naming a LoRA it cannot find is an error, not a silent skip', async () => {
    await expect(image(['--models', plain, '--prompt', 'a cat <lora:add_detail:1>', '--lora-dir', LORA_DIR()], 'missing.png')).rejects.toThrow(
      /names LoRA add_detail, which is not among .* \(kohya, peft\)/,
    );
  });
});
