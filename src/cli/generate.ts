// Headless generation in Node with the studio's own pipeline, on onnxruntime-node:
//   npm run generate -- --models <dir> --prompt "…" [--negative "…"]
//     [--control <name>=<png>[:weight[:start:end[:mode]]]]… [--init <png> --strength s]
//     --steps N --sampler euler-a --cfg 7.5 --seed S --width W --height H --out out.png
// A control image is used as the control map as it is (preprocessing belongs to the studio).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, type GenerateParams } from '../diffusion/pipeline.ts';
import { SCHEDULER_LABELS, SCHEDULER_NAMES, type SchedulerName } from '../diffusion/schedulers/index.ts';
import type { ControlMode, ControlUnit } from '../diffusion/control-units.ts';
import { loadModelSet } from '../models/load-set.ts';
import { decodePngImage, encodePngWithText } from '../image/png.ts';
import { formatParameters } from '../image/parameters.ts';
import { folderSource } from './fs-source.ts';
import { nodeOps, nodeSession } from './node-runtime.ts';

const MODE_LABELS: Record<ControlMode, string> = { balanced: 'Balanced', prompt: 'My prompt is more important', controlnet: 'ControlNet is more important' };

export function parseControl(spec: string): Omit<ControlUnit, 'image'> & { path: string } {
  const m = /^([^=]+)=(.+?)(?::([\d.]+)(?::([\d.]+):([\d.]+)(?::(balanced|prompt|controlnet))?)?)?$/.exec(spec);
  if (!m) throw new Error(`--control "${spec}" is not <name>=<png>[:weight[:start:end[:mode]]]`);
  return { model: m[1]!, path: m[2]!, weight: m[3] ? Number(m[3]) : 1, start: m[4] ? Number(m[4]) : 0, end: m[5] ? Number(m[5]) : 1, mode: (m[6] as ControlMode) ?? 'balanced' };
}

export async function main(argv: string[]): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      prompt: { type: 'string', default: '' },
      negative: { type: 'string', default: '' },
      control: { type: 'string', multiple: true, default: [] },
      init: { type: 'string' },
      strength: { type: 'string', default: '0.75' },
      steps: { type: 'string', default: '20' },
      sampler: { type: 'string', default: 'euler-a' },
      cfg: { type: 'string', default: '7.5' },
      seed: { type: 'string', default: '0' },
      width: { type: 'string', default: '512' },
      height: { type: 'string', default: '512' },
      out: { type: 'string', default: 'out.png' },
    },
  });
  if (!values.models) throw new Error('--models <dir> is required: a model set in the diffusers ONNX layout.');
  const sampler = values.sampler as SchedulerName;
  if (!SCHEDULER_NAMES.includes(sampler)) throw new Error(`--sampler must be one of ${SCHEDULER_NAMES.join(', ')}`);
  const readImage = (path: string) => decodePngImage(new Uint8Array(readFileSync(path)));
  const controls = values.control.map(parseControl);
  const params: GenerateParams = {
    prompt: values.prompt,
    negativePrompt: values.negative,
    steps: Number(values.steps),
    cfgScale: Number(values.cfg),
    seed: BigInt(values.seed),
    width: Number(values.width),
    height: Number(values.height),
    sampler,
    units: controls.map(({ path, ...u }) => ({ ...u, image: readImage(path) })),
    init: values.init ? { image: readImage(values.init), strength: Number(values.strength) } : undefined,
  };
  const { models } = await loadModelSet(folderSource(values.models), {
    createSession: nodeSession,
    ops: nodeOps(),
    controlnets: [...new Set(controls.map((c) => c.model))],
  });
  const result = await generate(models, params, { onStep: (s) => process.stderr.write(`step ${s.step}/${s.total} ${s.ms.toFixed(0)} ms\n`) });
  const text = formatParameters({
    prompt: params.prompt,
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    sampler: SCHEDULER_LABELS[sampler],
    cfgScale: params.cfgScale,
    seed: params.seed,
    width: params.width,
    height: params.height,
    model: basename(resolve(values.models)),
    units: controls.map((c) => ({ module: 'none', model: c.model, weight: c.weight, guidanceStart: c.start, guidanceEnd: c.end, controlMode: MODE_LABELS[c.mode], resizeMode: 'Just Resize', pixelPerfect: false })),
  });
  writeFileSync(values.out, encodePngWithText(result.image, { parameters: text }));
  return values.out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (out) => console.log(`wrote ${out}`),
    (err: Error) => {
      console.error(`error: ${err.message}`);
      process.exit(1);
    },
  );
}
