// SD 1.5 inpainting checkpoints (a 9-channel UNet: latents, mask, masked-image latents) convert
// in every layout of ../shared/data/checkpoints/tiny-sd15/inpaint and match the original
// LatentInpaintDiffusion's output (fp32: |error| ≤ 1e-4 + 1e-3·|expected|, the case's tolerance);
// the set says it is an inpainting model, and the CLI inpaints with it.
import { mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { main as convertCli } from '../cli/convert.ts';
import { main as generateCli, readPng } from '../cli/generate.ts';
import { encodePngWithText } from '../image/png.ts';
import { CHECKPOINTS, caseFeed, referenceCases, tensorValues, worstAllowance, readCaseTensor, type ReferenceCase } from '../test/checkpoint-cases.ts';
import { sharedJson } from '../test/shared-data.ts';
import { folderSource } from '../cli/fs-source.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { loadModelSet } from '../models/load-set.ts';
import { generate } from '../diffusion/pipeline.ts';

const tmp = (name: string) => join(mkdtempSync(join(tmpdir(), 'inpaint-')), name);
const ck = (rel: string) => join(CHECKPOINTS(), rel);
const INPAINT_REF = () => ck('inpaint/reference');
const inpaintCase = () => sharedJson<{ cases: (ReferenceCase & { tolerance: { atol: number; rtol: number } })[] }>('checkpoints/tiny-sd15/inpaint/reference/cases.json').cases[0]!;

/** The diffusers inpainting folder the fixture's README describes: ../diffusers with its unet/ replaced by inpaint/unet. */
function diffusersInpaintFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'inpaint-diffusers-'));
  for (const entry of readdirSync(ck('diffusers'))) if (entry !== 'unet' && entry !== 'controlnet') symlinkSync(ck(`diffusers/${entry}`), join(dir, entry));
  symlinkSync(ck('inpaint/unet'), join(dir, 'unet'));
  return dir;
}

/** The set's UNet on the case: the residual inputs a ControlNet-ready UNet has are zeros (no ControlNet). */
async function unetOutput(set: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(set, 'unet/model.onnx'));
  const c = inpaintCase();
  const shapes = new Map(
    referenceCases()
      .find((r) => r.name === 'unet')!
      .inputs.map((t) => [t.name, t.shape]),
  );
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    const given = c.inputs.find((t) => t.name === meta.name);
    const shape = shapes.get(meta.name)!;
    feeds[meta.name] = given ? caseFeed(meta, given, INPAINT_REF()) : new ort.Tensor('float32', new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
  }
  const out = await session.run(feeds);
  return tensorValues(out[session.outputNames[0]!]!);
}

const LAYOUTS = [
  { label: 'LDM single file + v1-inpainting .yaml', path: () => ck('inpaint/model.safetensors') },
  { label: 'diffusers folder with a 9-channel unet/ (fp16 weights)', path: diffusersInpaintFolder },
];

describe('inpainting checkpoints', () => {
  it.each(LAYOUTS)(
    '$label converts and matches LatentInpaintDiffusion',
    async ({ path }) => {
      const out = tmp('set');
      await convertCli(['--checkpoint', path(), '--out', out, '--precision', 'fp32', '--text-heads', '2'], () => {});
      const index = JSON.parse(readFileSync(join(out, 'model_index.json'), 'utf8'));
      expect(index.controlnet_studio.inpainting).toBe(true);
      const c = inpaintCase();
      const expected = readCaseTensor(c.outputs[0]!, INPAINT_REF());
      const worst = worstAllowance(await unetOutput(out), expected, c.tolerance);
      console.log(`inpainting UNet: worst error ${worst.toFixed(3)} of the allowance`);
      expect(worst).toBeLessThanOrEqual(1);
    },
    60_000,
  );

  it('generates with the CLI: --init and --mask feed the 9 channels; outside the blurred mask every pixel is the input’s', async () => {
    const set = tmp('set');
    await convertCli(['--checkpoint', ck('inpaint/model.safetensors'), '--out', set, '--precision', 'fp32', '--text-heads', '2'], () => {});
    const size = 64;
    const init = tmp('init.png');
    const mask = tmp('mask.png');
    const image = new Uint8ClampedArray(size * size * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 251));
    writeFileSync(init, encodePngWithText({ data: image, width: size, height: size }, {}));
    const maskPixels = new Uint8ClampedArray(size * size * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(i / 4) % size >= 40 ? 255 : 0));
    writeFileSync(mask, encodePngWithText({ data: maskPixels, width: size, height: size }, {}));
    const out = tmp('out.png');
    await generateCli(['--models', set, '--prompt', 'a cat', '--init', init, '--mask', mask, '--mask-blur', '2', '--strength', '1', '--steps', '3', '--width', '64', '--height', '64', '--out', out]);
    const result = readPng(out);
    let changed = 0;
    for (let p = 0; p < size * size; p++) {
      const x = p % size;
      for (let c = 0; c < 3; c++) {
        if (x < 40 - 6) expect(result.data[p * 4 + c], `pixel ${p}`).toBe(image[p * 4 + c]);
        if (x >= 40 + 6 && result.data[p * 4 + c] !== image[p * 4 + c]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(1000);
    // Without a mask the model keeps its contract (a full mask over a grey image): txt2img runs, and the set says what it is.
    const { models, capabilities } = await loadModelSet(folderSource(set), { createSession: nodeSession(), ops: nodeOps() });
    expect(capabilities.inpainting).toBe(true);
    const txt = await generate(models, { prompt: 'a cat', negativePrompt: '', steps: 2, cfgScale: 7, seed: 1, width: 64, height: 64, sampler: 'euler', units: [] });
    expect(Object.entries(txt.stats.sessionRuns).find(([label]) => label.includes('unet/'))?.[1]).toBe(2);
  }, 60_000);
});
