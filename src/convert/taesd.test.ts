// TAESD built by our graph builder from its files (taesd.py's two state dicts, and diffusers'
// AutoencoderTiny folder), against the fixture's outputs of taesd.py and diffusers in both value
// conventions, element-wise within 1e-4 + 1e-3·|expected|. Our graphs take and give −1…1 images
// (diffusers'); taesd.py's 0…1 cases are checked through x ↦ 2x − 1 at the edges.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { main as convertCli } from '../cli/convert.ts';
import { TAESD_DECODER, TAESD_ENCODER } from '../models/set-layout.ts';
import { CHECKPOINTS, readCaseTensor, worstAllowance, type CaseTensor } from '../test/checkpoint-cases.ts';
import { sharedJson } from '../test/shared-data.ts';

interface TaesdCase {
  name: string;
  graph: string;
  convention: 'taesd' | 'diffusers';
  inputs: CaseTensor[];
  outputs: CaseTensor[];
  tolerance: { atol: number; rtol: number };
}

const REFERENCE = () => join(CHECKPOINTS(), 'taesd/reference');
const cases = sharedJson<{ cases: TaesdCase[] }>('checkpoints/tiny-sd15/taesd/reference/cases.json').cases;

/** A set of the fixture family with TAESD added from `sources` (CLI --taesd). */
async function setWithTaesd(sources: string[]): Promise<string> {
  const set = join(mkdtempSync(join(tmpdir(), 'taesd-')), 'set');
  await convertCli(
    ['--checkpoint', join(CHECKPOINTS(), 'single-file/model.safetensors'), '--out', set, '--precision', 'fp32', '--text-heads', '2', ...sources.flatMap((s) => ['--taesd', s])],
    () => {},
  );
  return set;
}

/** Runs a case on the set's TAESD graph; 0…1 (taesd.py) cases go through −1…1. */
async function worst(set: string, c: TaesdCase): Promise<number> {
  const decoder = /decode/.test(c.graph);
  const session = await ort.InferenceSession.create(join(set, decoder ? TAESD_DECODER : TAESD_ENCODER));
  const input = readCaseTensor(c.inputs[0]!, REFERENCE());
  const fed = !decoder && c.convention === 'taesd' ? input.map((v) => 2 * v - 1) : input;
  const out = (await session.run({ [decoder ? 'latent_sample' : 'sample']: new ort.Tensor('float32', fed, c.inputs[0]!.shape) }))[decoder ? 'sample' : 'latent_sample']!.data as Float32Array;
  const actual = decoder && c.convention === 'taesd' ? out.map((v) => (v + 1) / 2) : out;
  return worstAllowance(actual, readCaseTensor(c.outputs[0]!, REFERENCE()), c.tolerance);
}

const LAYOUTS = [
  { label: "taesd.py's taesd_encoder / taesd_decoder .safetensors", sources: () => [join(CHECKPOINTS(), 'taesd/taesd_encoder.safetensors'), join(CHECKPOINTS(), 'taesd/taesd_decoder.safetensors')] },
  { label: "diffusers' AutoencoderTiny folder (fp16 weights)", sources: () => [join(CHECKPOINTS(), 'taesd/diffusers_tiny')] },
];

describe('TAESD', () => {
  it.each(LAYOUTS)('from $label: every reference case of taesd.py and diffusers matches', async ({ sources }) => {
    const set = await setWithTaesd(sources());
    const index = JSON.parse(readFileSync(join(set, 'model_index.json'), 'utf8'));
    expect(index.controlnet_studio.taesd).toMatchObject({ decoder: TAESD_DECODER, encoder: TAESD_ENCODER });
    for (const c of cases) expect(await worst(set, c), c.name).toBeLessThanOrEqual(1);
  });

  it('refuses TAESDXL by its name, and a file that is no TAESD half', async () => {
    const err = (sources: string[]) =>
      setWithTaesd(sources).then(
        () => '',
        (e: Error) => e.message,
      );
    expect(await err([join(CHECKPOINTS(), 'single-file/controlnet.safetensors')])).toMatch(/is not a TAESD encoder or decoder/);
    const xl = join(mkdtempSync(join(tmpdir(), 'taesdxl-')), 'taesdxl_decoder.safetensors');
    copyFileSync(join(CHECKPOINTS(), 'taesd/taesd_decoder.safetensors'), xl);
    expect(await err([xl])).toMatch(/taesdxl_decoder\.safetensors is TAESDXL, made for SDXL's latents/);
  });
});
