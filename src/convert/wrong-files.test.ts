// Files that are not what the studio runs each get their own error, and nothing is written;
// checkpoints with extra or damaged parts convert and say what they left out or repaired.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { main as convertCli } from '../cli/convert.ts';
import { fileBytes } from '../cli/fs-bytes.ts';
import { CHECKPOINTS, writeSafetensorsFile } from '../test/checkpoint-cases.ts';
import { readSafetensors } from './safetensors.ts';
import { numel, ITEM_SIZE, type StoredDtype, type StoredTensor } from './stored-tensor.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'wrong-'));
const ck = (rel: string) => join(CHECKPOINTS(), rel);
const quiet = () => {};

function zeros(key: string, shape: number[], dtype: StoredDtype = 'float16'): StoredTensor {
  return { key, file: 'synthetic', dtype, shape, bytes: async () => new Uint8Array(numel(shape) * ITEM_SIZE[dtype]) };
}

async function fixtureTensors(): Promise<StoredTensor[]> {
  return [...(await readSafetensors(await fileBytes(ck('single-file/model.safetensors')))).tensors.values()];
}

/** Converts `file` with the CLI; returns the error message, and checks that nothing was left in the output folder. */
async function refusal(file: string): Promise<string> {
  const out = join(dir(), 'set');
  const err = await convertCli(['--checkpoint', file, '--out', out, '--text-heads', '2'], quiet).then(
    () => null,
    (e: Error) => e,
  );
  expect(err, 'the conversion should fail').not.toBeNull();
  expect(existsSync(out), 'no set folder').toBe(false);
  expect(existsSync(`${out}.partial`), 'no partial folder').toBe(false);
  return err!.message;
}

/** A PyTorch zip whose pickle calls a function: GLOBAL posix.system, then REDUCE with a command. */
function maliciousCheckpoint(path: string) {
  const command = new TextEncoder().encode('touch /tmp/pwned-by-checkpoint');
  const pickle = Uint8Array.from([0x80, 0x02, 0x63, ...new TextEncoder().encode('posix\nsystem\n'), 0x8c, command.length, ...command, 0x85, 0x52, 0x2e]);
  writeFileSync(path, zipSync({ 'archive/data.pkl': [pickle, { level: 0 }], 'archive/version': [new TextEncoder().encode('3\n'), { level: 0 }] }));
}

describe('files the studio cannot use', () => {
  it('a LoRA', async () => {
    const f = join(dir(), 'detail-tweaker.safetensors');
    await writeSafetensorsFile(f, [
      zeros('lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight', [4, 320]),
      zeros('lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight', [320, 4]),
      zeros('lora_unet_down_blocks_0_attentions_0_proj_in.alpha', []),
    ]);
    expect(await refusal(f)).toMatch(/detail-tweaker\.safetensors is a LoRA: a small add-on .* not a checkpoint of its own/);
  });

  it('an SDXL checkpoint', async () => {
    const f = join(dir(), 'sd_xl_base_1.0.safetensors');
    await writeSafetensorsFile(f, [zeros('conditioner.embedders.0.transformer.text_model.final_layer_norm.weight', [768]), zeros('model.diffusion_model.label_emb.0.0.weight', [1280, 2816])]);
    expect(await refusal(f)).toMatch(/is an SDXL checkpoint/);
  });

  it('an SD 2 768-v checkpoint (OpenCLIP text encoder), and one whose .yaml says v-prediction', async () => {
    const f = join(dir(), 'v2-1_768-ema-pruned.safetensors');
    await writeSafetensorsFile(f, [zeros('cond_stage_model.model.transformer.resblocks.0.attn.in_proj_weight', [3072, 1024]), zeros('model.diffusion_model.input_blocks.0.0.weight', [320, 4, 3, 3])]);
    expect(await refusal(f)).toMatch(/Stable Diffusion 2\.x checkpoint \(OpenCLIP/);
    // An SD 1.5-shaped file with a v-prediction .yaml beside it.
    const d = dir();
    copyFileSync(ck('single-file/model.safetensors'), join(d, 'model.safetensors'));
    writeFileSync(join(d, 'model.yaml'), readFileSync(ck('single-file/model.yaml'), 'utf8').replace('linear_start: 0.00085', 'parameterization: "v"\n    linear_start: 0.00085'));
    expect(await refusal(join(d, 'model.safetensors'))).toMatch(/predicts v \(an SD 2\.x 768-v model\)/);
  });

  it('an InstructPix2Pix UNet (8 input channels; inpainting UNets, with 9, convert)', async () => {
    const f = join(dir(), 'instruct-pix2pix-00-22000.safetensors');
    const tensors = (await fixtureTensors()).map((t) => (t.key === 'model.diffusion_model.input_blocks.0.0.weight' ? zeros(t.key, [32, 8, 3, 3]) : t));
    await writeSafetensorsFile(f, tensors);
    expect(await refusal(f)).toMatch(/UNet takes 8 input channels, not SD 1\.5's 4/);
  });

  it('a truncated .safetensors and a truncated .ckpt', async () => {
    const f = join(dir(), 'model.safetensors');
    const whole = readFileSync(ck('single-file/model.safetensors'));
    writeFileSync(f, whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(await refusal(f)).toMatch(/model\.safetensors is truncated: its header lists \d+ bytes of tensors, the file has \d+/);
    const c = join(dir(), 'model.ckpt');
    const ckpt = readFileSync(ck('single-file/model.ckpt'));
    writeFileSync(c, ckpt.subarray(0, Math.floor(ckpt.length * 0.6)));
    expect(await refusal(c)).toMatch(/model\.ckpt is truncated or damaged: its zip directory is missing/);
  });

  it('files that are not checkpoints at all: an image, a text file', async () => {
    expect(await refusal(join(CHECKPOINTS(), '../../images/bird.png'))).toMatch(/bird\.png is a PNG image, not a model checkpoint/);
    const t = join(dir(), 'notes.safetensors');
    writeFileSync(t, 'these are my prompt notes, not weights\n'.repeat(10));
    expect(await refusal(t)).toMatch(/notes\.safetensors is not a safetensors file/);
  });

  it('a pickle that asks to run code is refused, and the code never runs', async () => {
    const f = join(dir(), 'model.ckpt');
    maliciousCheckpoint(f);
    expect(await refusal(f)).toMatch(/model\.ckpt asks to run Python code: its pickle references posix\.system, which is not tensor data/);
    expect(existsSync('/tmp/pwned-by-checkpoint')).toBe(false);
  });

  it('a checkpoint missing weights names them', async () => {
    const f = join(dir(), 'model.safetensors');
    await writeSafetensorsFile(
      f,
      (await fixtureTensors()).filter((t) => !t.key.startsWith('model.diffusion_model.out.2.')),
    );
    const message = await refusal(f);
    expect(message).toMatch(/2 problems/);
    expect(message).toContain('missing model.diffusion_model.out.2.weight (conv_out.weight)');
    expect(message).toContain('missing model.diffusion_model.out.2.bias (conv_out.bias)');
  });
});

describe('checkpoints with more than the model', () => {
  it('lists EMA copies and training state in a notice, and repairs damaged position_ids as A1111 does', async () => {
    const f = join(dir(), 'model.safetensors');
    const tensors = (await fixtureTensors()).map((t) =>
      t.key.endsWith('position_ids') ? { ...zeros(t.key, [1, 77], 'float32'), bytes: async () => new Uint8Array(Float32Array.from({ length: 77 }, (_, i) => i + (i === 40 ? 0.0002 : 0)).buffer) } : t,
    );
    tensors.push(zeros('model_ema.decay', [], 'float32'), zeros('model_ema.num_updates', [], 'int64'), zeros('model_ema.diffusion_modelout2weight', [4, 32, 3, 3]));
    await writeSafetensorsFile(f, tensors);
    const { notices } = await convertCli(['--checkpoint', f, '--out', join(dir(), 'set'), '--precision', 'fp32', '--text-heads', '2'], quiet);
    const unused = notices.find((n) => n.startsWith('Not used from model.safetensors'))!;
    expect(unused).toMatch(
      /16 tensors — top-level 13 \(alphas_cumprod, alphas_cumprod_prev, betas, …\); model_ema\.\* 3 \(model_ema\.decay, model_ema\.diffusion_modelout2weight, model_ema\.num_updates\)/,
    );
    expect(notices.some((n) => /position_ids are damaged .* positions 0–76 are used instead, as A1111 does/.test(n))).toBe(true);
  });
});
