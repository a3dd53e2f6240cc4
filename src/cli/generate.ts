// Headless generation in Node with the studio's own pipeline, on onnxruntime-node:
//   npm run generate -- --models <dir> --prompt "…" [--negative "…"]
//     [--control <name>=<png>[:weight[:start:end[:mode]]]]… [--preprocess canny|mlsd|scribble|scribble_xdog|none]…
//     [--resize-mode crop|fill|just-resize] [--init <png> --strength s]
//     [--mask <png> [--mask-blur N] [--inpaint-area whole|masked] [--padding N] [--masked-content original|fill|noise|nothing]]
//     [--lora <file>[:<m>[:<unet m>]]]… [--lora-dir <dir>]…
//     --steps N --sampler euler-a --cfg 7.5 --seed S --width W --height H --out out.png
// A control image of any size is fitted to the generation size as A1111 does (Crop and Resize by
// default); with --preprocess (one per --control, in order) it is first turned into that map
// (inpaint_only: the unit's hint is the --init image with the --mask's pixels marked).
// --init starts from an image (img2img); with --mask (white repaints) it inpaints as A1111 does.
// LoRAs apply at load (the set's files are not changed): each --lora, and each <lora:name:m> tag
// of the prompt, whose file is a --lora file or sits in a --lora-dir folder.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { GenerateParams } from '../diffusion/pipeline.ts';
import { generateFromInput, inputParameterFields, type ImageInput } from '../preprocess/img2img.ts';
import { maskFromRgba, type InpaintArea, type MaskedContent } from '../preprocess/inpaint-image.ts';
import { SCHEDULER_LABELS, SCHEDULER_NAMES, type SchedulerName } from '../diffusion/schedulers/index.ts';
import type { ControlMode, ControlUnit, RgbaImage } from '../diffusion/control-units.ts';
import { sniffImageKind } from '../image/sniff.ts';
import { fitToSize, hwc3, RESIZE_MODE_LABELS, type ResizeMode } from '../preprocess/image-ops.ts';
import { runPreprocess, type PreprocessRequest } from '../preprocess/run.ts';
import { loadModelSet } from '../models/load-set.ts';
import { decodePngImage, encodePngWithText } from '../image/png.ts';
import { formatParameters } from '../image/parameters.ts';
import { folderSource } from './fs-source.ts';
import { nodeOps, nodeSession } from './node-runtime.ts';
import { nodeLoraMerger, parseLoraSpec, resolveLoras } from './loras.ts';
import { LoadedLoras } from '../convert/lora/lora-at-load.ts';
import { extractLoraTags } from '../diffusion/extra-networks.ts';

const MODE_LABELS: Record<ControlMode, string> = { balanced: 'Balanced', prompt: 'My prompt is more important', controlnet: 'ControlNet is more important' };

export function parseControl(spec: string): Omit<ControlUnit, 'image'> & { path: string } {
  const m = /^([^=]+)=(.+?)(?::([\d.]+)(?::([\d.]+):([\d.]+)(?::(balanced|prompt|controlnet))?)?)?$/.exec(spec);
  if (!m) throw new Error(`--control "${spec}" is not <name>=<png>[:weight[:start:end[:mode]]]`);
  return { model: m[1]!, path: m[2]!, weight: m[3] ? Number(m[3]) : 1, start: m[4] ? Number(m[4]) : 0, end: m[5] ? Number(m[5]) : 1, mode: (m[6] as ControlMode) ?? 'balanced' };
}

const CLI_RESIZE: Record<string, ResizeMode> = { crop: 'crop-and-resize', fill: 'resize-and-fill', 'just-resize': 'just-resize' };
const CLI_PREPROCESSORS = ['canny', 'mlsd', 'scribble', 'scribble_xdog', 'inpaint_only', 'none'] as const;
type CliPreprocessor = (typeof CLI_PREPROCESSORS)[number];

/** "--cfg -3": a negative number after an option is its value, not another option. */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(argv[i]!) && next !== undefined && /^-\d/.test(next)) (out.push(`${argv[i]}=${next}`), i++);
    else out.push(argv[i]!);
  }
  return out;
}

/** A PNG from disk, or an error that says what the file is instead. */
export function readPng(path: string): RgbaImage {
  if (!existsSync(path)) throw new Error(`${path} does not exist.`);
  const bytes = new Uint8Array(readFileSync(path));
  const kind = sniffImageKind(bytes.subarray(0, 16));
  if (!kind) throw new Error(`${path} is not an image. Give a PNG file.`);
  if (kind !== 'png') throw new Error(`${path} is a ${kind.toUpperCase()} image; the CLI reads PNG files. Convert it to PNG.`);
  return decodePngImage(bytes);
}

/** The control map for one --control image: preprocessed (when asked), then fitted to the generation size. */
async function controlMapFor(image: RgbaImage, pre: CliPreprocessor, width: number, height: number, resizeMode: ResizeMode): Promise<RgbaImage> {
  const fit = { width, height, resizeMode, pixelPerfect: false };
  if (pre === 'none' || pre === 'inpaint_only') return fitToSize(hwc3(image), width, height, resizeMode);
  const request: PreprocessRequest =
    pre === 'canny'
      ? { kind: 'canny', low: 100, high: 200, image, backend: 'cpu', fit }
      : pre === 'mlsd'
        ? { kind: 'hough', low: 100, high: 200, image, backend: 'cpu', fit }
        : pre === 'scribble'
          ? { kind: 'scribble', image, backend: 'cpu', fit }
          : { kind: 'fake-scribble', threshold: 32, image, backend: 'cpu', fit };
  return (await runPreprocess(request, { gpu: null, runModel: null })).map;
}

const AREAS: InpaintArea[] = ['whole', 'masked'];
const CONTENTS: MaskedContent[] = ['original', 'fill', 'noise', 'nothing'];

/** --init (and --mask with its inpainting options) as the run's input image. */
function imageInput(
  values: Record<string, string | string[] | undefined> & { init?: string; mask?: string; strength: string },
  resizeMode: ResizeMode,
  numberOf: (flag: string, v: string) => number,
): ImageInput | null {
  if (!values.init) {
    if (values.mask) throw new Error('--mask needs --init: the image to inpaint.');
    return null;
  }
  const flag = (name: string) => String(values[name]);
  const area = flag('inpaint-area') as InpaintArea;
  if (!AREAS.includes(area)) throw new Error(`--inpaint-area must be whole or masked (got "${area}").`);
  const content = flag('masked-content') as MaskedContent;
  if (!CONTENTS.includes(content)) throw new Error(`--masked-content must be one of ${CONTENTS.join(', ')} (got "${content}").`);
  const [maskBlur, padding] = [numberOf('mask-blur', flag('mask-blur')), numberOf('padding', flag('padding'))];
  if (maskBlur < 0 || padding < 0) throw new Error('--mask-blur and --padding are pixels, 0 or more.');
  const image = hwc3(readPng(values.init));
  const mask = values.mask ? maskFromRgba(hwc3(readPng(values.mask))) : null;
  if (mask && (mask.width !== image.width || mask.height !== image.height))
    throw new Error(`--mask is ${mask.width}×${mask.height} and --init ${image.width}×${image.height}; give a mask of the image's size.`);
  return { image, strength: numberOf('strength', values.strength), resizeMode, mask, inpaint: { maskBlur, content, area, padding } };
}

/** CFG scale as the studio offers it: 1 (guidance off) to 30. */
function cfgScale(v: number): number {
  if (v < 1 || v > 30) throw new Error(`--cfg must be between 1 (guidance off) and 30, as in the studio (got ${v}).`);
  return v;
}

export async function main(argv: string[]): Promise<string> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      models: { type: 'string' },
      prompt: { type: 'string', default: '' },
      negative: { type: 'string', default: '' },
      control: { type: 'string', multiple: true, default: [] },
      preprocess: { type: 'string', multiple: true, default: [] },
      'resize-mode': { type: 'string', default: 'crop' },
      init: { type: 'string' },
      strength: { type: 'string', default: '0.75' },
      mask: { type: 'string' },
      'mask-blur': { type: 'string', default: '4' },
      'inpaint-area': { type: 'string', default: 'whole' },
      padding: { type: 'string', default: '32' },
      'masked-content': { type: 'string', default: 'original' },
      steps: { type: 'string', default: '20' },
      sampler: { type: 'string', default: 'euler-a' },
      cfg: { type: 'string', default: '7.5' },
      seed: { type: 'string', default: '0' },
      width: { type: 'string', default: '512' },
      height: { type: 'string', default: '512' },
      out: { type: 'string', default: 'out.png' },
      lora: { type: 'string', multiple: true, default: [] },
      'lora-dir': { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.models) throw new Error('--models <dir> is required: a model set in the diffusers ONNX layout.');
  if (!existsSync(values.models) || !statSync(values.models).isDirectory())
    throw new Error(`--models ${values.models}: there is no such folder. Give the folder of a model set (the one with model_index.json).`);
  if (!existsSync(join(values.models, 'model_index.json')))
    throw new Error(`--models ${values.models} has no model_index.json: it is not a model set. Convert a checkpoint into it with npm run convert, or give the set's top folder.`);
  const resizeMode = CLI_RESIZE[values['resize-mode']];
  if (!resizeMode) throw new Error(`--resize-mode must be crop, fill or just-resize (got "${values['resize-mode']}").`);
  const preprocessors = values.preprocess.map((p) => {
    if (!CLI_PREPROCESSORS.includes(p as CliPreprocessor)) throw new Error(`--preprocess must be one of ${CLI_PREPROCESSORS.join(', ')} (got "${p}").`);
    return p as CliPreprocessor;
  });
  const numberOf = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--${flag} must be a number (got "${v}").`);
    return n;
  };
  const sampler = values.sampler as SchedulerName;
  if (!SCHEDULER_NAMES.includes(sampler)) throw new Error(`--sampler must be one of ${SCHEDULER_NAMES.join(', ')}`);
  const controls = values.control.map(parseControl);
  const [width, height] = [numberOf('width', values.width), numberOf('height', values.height)];
  const units = await Promise.all(
    controls.map(async ({ path, ...u }, i) => ({
      ...u,
      image: await controlMapFor(readPng(path), preprocessors[i] ?? 'none', width, height, resizeMode),
      fromInput: preprocessors[i] === 'inpaint_only',
    })),
  );
  const input = imageInput(values, resizeMode, numberOf);
  const tagged = extractLoraTags(values.prompt);
  const loras = await resolveLoras(values.lora.map(parseLoraSpec), values['lora-dir'], tagged.loras);
  const params: GenerateParams & { input: ImageInput | null } = {
    prompt: tagged.prompt,
    negativePrompt: values.negative,
    steps: numberOf('steps', values.steps),
    cfgScale: cfgScale(numberOf('cfg', values.cfg)),
    seed: BigInt(values.seed),
    width,
    height,
    sampler,
    units,
    input,
  };
  const atLoad = new LoadedLoras(nodeLoraMerger());
  const { models } = await loadModelSet(folderSource(values.models), {
    createSession: nodeSession(),
    ops: nodeOps(),
    controlnets: [...new Set(controls.map((c) => c.model))],
    patchGraph: (g) => atLoad.patchGraph(g, loras.applied),
    onWarning: (w) => process.stderr.write(`note: ${w}\n`),
  });
  const result = await generateFromInput(models, params, { onStep: (s) => process.stderr.write(`step ${s.step}/${s.total} ${s.ms.toFixed(0)} ms\n`) });
  const text = formatParameters({
    prompt: values.prompt,
    negativePrompt: params.negativePrompt,
    steps: params.steps,
    sampler: SCHEDULER_LABELS[sampler],
    cfgScale: params.cfgScale,
    seed: params.seed,
    width: params.width,
    height: params.height,
    model: basename(resolve(values.models)),
    units: controls.map((c, i) => ({
      module: preprocessors[i] ?? 'none',
      model: c.model,
      weight: c.weight,
      guidanceStart: c.start,
      guidanceEnd: c.end,
      controlMode: MODE_LABELS[c.mode],
      resizeMode: RESIZE_MODE_LABELS[resizeMode],
      pixelPerfect: false,
    })),
    loraHashes: loras.hashes,
    extra: input ? inputParameterFields(input) : [],
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
