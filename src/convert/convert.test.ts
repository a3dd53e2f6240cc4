// Converting the tiny SD 1.5 family in every file layout people use, checked against the
// outputs of the original LDM/ControlNet code (../shared/data/checkpoints/tiny-sd15/reference).
// fp32: within 1e-4 of the reference, relative to each output's largest magnitude.
// fp16: within 1e-2. The fixture's weights are exactly fp16-representable, so only the
// activations round: fp16 keeps 11 significant bits (a relative step of 2⁻¹¹ ≈ 4.9e-4 per
// operation), and the UNet chains about 25 normalised layers, where such steps add up to a few
// 1e-3 (measured: up to 3.2e-3). 1e-2 is twenty fp16 steps: a wrong weight or layout is off by O(1).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from './safetensors.ts';
import { fileBytes } from '../cli/fs-bytes.ts';
import { main as convertCli } from '../cli/convert.ts';
import { CHECKPOINTS, caseErrors, referenceCases, writeSafetensorsFile } from '../test/checkpoint-cases.ts';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'convert-')), name);
const quiet = () => {};
const ck = (rel: string) => join(CHECKPOINTS(), rel);
const FP32_TOLERANCE = 1e-4;
const FP16_TOLERANCE = 1e-2;

/** A ControlNet repack without the control_model. prefix, as some fp16 .safetensors in circulation are. */
let prefixless: string;
beforeAll(async () => {
  prefixless = tmp('control_v11p_sd15_canny_fp16.safetensors');
  const { tensors } = await readSafetensors(await fileBytes(ck('single-file/controlnet.safetensors')));
  await writeSafetensorsFile(prefixless, [...tensors.values()], (k) => k.replace(/^control_model\./, ''));
});

const FORMATS = [
  { label: 'A1111 single-file .safetensors (fp16) + ControlNet .safetensors', base: 'single-file/model.safetensors', controlnet: () => ck('single-file/controlnet.safetensors') },
  { label: '.ckpt zip pickle + ControlNet .pth', base: 'single-file/model.ckpt', controlnet: () => ck('single-file/controlnet.pth') },
  { label: 'diffusers folders (fp16 variant for fp16)', base: 'diffusers', controlnet: () => ck('diffusers/controlnet') },
  { label: 'single file + a ControlNet repack without the control_model. prefix', base: 'single-file/model.safetensors', controlnet: () => prefixless },
];

/** Every reference case's worst relative error for a converted set. */
async function worstErrors(set: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const c of referenceCases()) out[c.name] = Math.max(...(await caseErrors(set, c)));
  return out;
}

describe.each(['fp32', 'fp16'] as const)('conversion to %s', (precision) => {
  const tolerance = precision === 'fp32' ? FP32_TOLERANCE : FP16_TOLERANCE;
  it.each(FORMATS)(
    '$label: every reference case matches the original code',
    async ({ base, controlnet }) => {
      const out = tmp('set');
      // The tiny text encoder is 32 wide, so its 2 heads must be said (a real CLIP's 12 are read from its width).
      await convertCli(['--checkpoint', ck(base), '--controlnet', `canny=${controlnet()}`, '--out', out, '--precision', precision, '--text-heads', '2'], quiet);
      const errors = await worstErrors(out);
      console.log(
        `${precision} ${base} + ${controlnet().split('/').pop()}: ${Object.entries(errors)
          .map(([k, v]) => `${k} ${v.toExponential(1)}`)
          .join(', ')}`,
      );
      for (const [name, error] of Object.entries(errors)) expect(error, name).toBeLessThanOrEqual(tolerance);
    },
    60_000,
  );
});
