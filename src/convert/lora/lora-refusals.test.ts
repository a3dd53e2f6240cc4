// Files that are not SD 1.5 LoRAs the studio can apply are refused with the reason, before
// anything is merged or written: LoRAs for SDXL and SD 2.x, LyCORIS kinds, whole checkpoints,
// keys that belong to no layer, and layers that land on no weight or do not fit it.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as convertCli } from '../../cli/convert.ts';
import { fileBytes } from '../../cli/fs-bytes.ts';
import { CHECKPOINTS, writeSafetensorsFile } from '../../test/checkpoint-cases.ts';
import { ITEM_SIZE, numel, type StoredDtype, type StoredTensor } from '../stored-tensor.ts';
import { readLora } from './lora-file.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'lora-refusal-'));
const zeros = (key: string, shape: number[], dtype: StoredDtype = 'float16'): StoredTensor => ({
  key,
  file: 'synthetic',
  dtype,
  shape,
  bytes: async () => new Uint8Array(numel(shape) * ITEM_SIZE[dtype]),
});
const layer = (name: string, out: number, inDim: number, rank = 4) => [zeros(`${name}.lora_down.weight`, [rank, inDim]), zeros(`${name}.lora_up.weight`, [out, rank]), zeros(`${name}.alpha`, [])];

async function file(name: string, tensors: StoredTensor[], metadata?: Record<string, string>): Promise<string> {
  const path = join(dir(), name);
  await writeSafetensorsFile(path, tensors, undefined, metadata);
  return path;
}

const readError = (path: string) =>
  fileBytes(path)
    .then(readLora)
    .then(
      () => null,
      (e: Error) => e.message,
    );

/** Bakes `lora` into the fixture family with the CLI; returns the error and checks nothing was written. */
async function bakeError(lora: string): Promise<string> {
  const out = join(dir(), 'set');
  const err = await convertCli(['--checkpoint', join(CHECKPOINTS(), 'single-file/model.safetensors'), '--lora', lora, '--out', out, '--text-heads', '2'], () => {}).then(
    () => null,
    (e: Error) => e.message,
  );
  expect(existsSync(out) || existsSync(`${out}.partial`)).toBe(false);
  return err!;
}

describe('LoRA files refused by what they are', () => {
  it('an SDXL LoRA (two text encoders), and one whose metadata says SDXL', async () => {
    expect(
      await readError(await file('xl.safetensors', [...layer('lora_te1_text_model_encoder_layers_0_mlp_fc1', 3072, 768), ...layer('lora_te2_text_model_encoder_layers_0_mlp_fc1', 5120, 1280)])),
    ).toMatch(/is a LoRA for SDXL/);
    expect(await readError(await file('xl-unet.safetensors', layer('lora_unet_input_blocks_4_1_proj_in', 640, 640), { ss_base_model_version: 'sdxl_base_v1-0' }))).toMatch(
      /is a LoRA for SDXL .*metadata says so/,
    );
  });

  it('an SD 2.x LoRA, by its metadata and by its widths', async () => {
    expect(await readError(await file('v2.safetensors', layer('lora_unet_down_blocks_0_attentions_0_proj_in', 320, 320), { ss_v2: 'True' }))).toMatch(/LoRA for Stable Diffusion 2\.x/);
    const widths = await file('v2-widths.safetensors', layer('lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k', 32, 1024));
    expect(await bakeError(widths)).toMatch(/does not fit this model: .*attn2_to_k changes a \[32 × 1024\] weight, the model's .*to_k\.weight is \[32 × 32\].*SD 2\.x LoRA/);
  });

  it.each([
    ['LoHa', 'lora_unet_down_blocks_0_attentions_0_proj_in.hada_w1_a', /LyCORIS LoHa/],
    ['LoKr', 'lora_unet_down_blocks_0_attentions_0_proj_in.lokr_w1', /LyCORIS LoKr/],
    ['(IA)³', 'lora_unet_down_blocks_0_attentions_0_proj_in.on_input', /\(IA\)³/],
    ['DoRA', 'lora_unet_down_blocks_0_attentions_0_proj_in.dora_scale', /DoRA/],
  ])('a %s file', async (_, key, pattern) => {
    expect(await readError(await file('lycoris.safetensors', [zeros(key, [4, 32])]))).toMatch(pattern);
  });

  it('a whole checkpoint given as a LoRA', async () => {
    expect(await readError(join(CHECKPOINTS(), 'single-file/model.safetensors'))).toMatch(/model\.safetensors is a whole model checkpoint .* not a LoRA/);
  });

  it('keys that belong to no layer are named, never dropped', async () => {
    const path = await file('extra.safetensors', [
      ...layer('lora_unet_down_blocks_0_attentions_0_proj_in', 32, 32),
      zeros('lora_unet_down_blocks_0_attentions_0_proj_in.scale_weight', [1]),
      zeros('optimizer.state', [3]),
    ]);
    expect(await readError(path)).toMatch(/has 2 tensors that belong to no LoRA layer: .*(scale_weight|optimizer\.state)/);
  });

  it('layers that land on no weight of the model are named', async () => {
    const path = await file('elsewhere.safetensors', [
      ...layer('lora_unet_down_blocks_0_attentions_0_proj_in', 32, 32),
      ...layer('lora_unet_down_blocks_0_attentions_0_transformer_blocks_1_attn1_to_q', 32, 32),
    ]);
    expect(await bakeError(path)).toMatch(/1 of its 2 UNet layers match no weight of this model \(lora_unet_down_blocks_0_attentions_0_transformer_blocks_1_attn1_to_q\)/);
  });
});
