// Converts checkpoints into a model set the studio and `npm run generate` load:
//   npm run convert -- --checkpoint <file.safetensors|file.ckpt|diffusers folder|https URL>
//     [--controlnet <name>=<file or folder>]... --out <dir> [--precision fp16|fp32]
//     [--text-heads N] [--unet-heads N] [--lora <file>[:<m>[:<unet m>]]]... [--taesd <folder or file>]...
// LoRAs given with --lora are baked into the text encoder and UNet (as kohya's merge_lora.py does).
// --taesd (taesd_decoder / taesd_encoder files, or a diffusers AutoencoderTiny folder) adds
// TAESD's graphs, for previews and fast decoding.
// With only --taesd and --out an existing set, TAESD is added to that set. With only --controlnet and --out an existing set, the ControlNets are added to that set.
import { ProgressLines } from './progress-lines.ts';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { httpBytes, type ByteSource } from '../convert/byte-source.ts';
import { addControlNetsToSet, convertPipeline, type NamedControlNet } from '../convert/convert-set.ts';
import { CheckpointError } from '../convert/errors.ts';
import type { ArchOverrides } from '../convert/infer-arch.ts';
import { openCheckpoint, type CheckpointInput } from '../convert/open-checkpoint.ts';
import { openTaesd } from '../convert/open-taesd.ts';
import { addTaesdToSet } from '../convert/convert-taesd.ts';
import type { GraphProgress } from '../convert/write-set.ts';
import { unetShape } from '../convert/set-graphs.ts';
import type { ModelIndex, UnetShape } from '../models/set-layout.ts';
import { readFile } from 'node:fs/promises';
import { fileBytes } from './fs-bytes.ts';
import { folderStore } from './fs-store.ts';
import { nodeLoraMerger, parseLoraSpec, resolveLoras } from './loras.ts';

/** CLIP's merge list, shipped with the studio for checkpoints that carry no tokenizer. */
export const CLIP_VOCAB = resolve(import.meta.dirname, '../../public/clip/bpe_simple_vocab_16e6.txt.gz');

/** Files a path names: one checkpoint (with a .yaml of the same name beside it), every file of a folder, or a URL. */
export async function inputFiles(path: string): Promise<Map<string, ByteSource>> {
  if (/^https?:\/\//.test(path)) {
    const src = await httpBytes(path);
    return new Map([[src.name, src]]);
  }
  if (!existsSync(path)) throw new CheckpointError(`${path} does not exist.`);
  const files = new Map<string, ByteSource>();
  if (statSync(path).isDirectory()) {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
    for (const file of walk(path)) files.set(relative(path, file), await fileBytes(file));
    return files;
  }
  files.set(basename(path), await fileBytes(path));
  for (const ext of ['.yaml', '.yml']) {
    const yaml = join(dirname(path), basename(path, extname(path)) + ext);
    if (existsSync(yaml)) files.set(basename(yaml), await fileBytes(yaml));
  }
  return files;
}

const positiveInt = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CheckpointError(`${flag} must be a whole number ≥ 1 (got "${v}").`);
  return n;
};

/** `log` writes progress; `tty`: it goes to a terminal (redrawn in place) rather than a pipe (whole lines). */
export async function main(argv: string[], log: (line: string) => void = (l) => process.stderr.write(l), tty = process.stderr.isTTY === true): Promise<{ out: string; notices: string[] }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      checkpoint: { type: 'string' },
      controlnet: { type: 'string', multiple: true, default: [] },
      out: { type: 'string' },
      precision: { type: 'string', default: 'fp16' },
      'text-heads': { type: 'string' },
      'unet-heads': { type: 'string' },
      lora: { type: 'string', multiple: true, default: [] },
      taesd: { type: 'string', multiple: true, default: [] },
    },
  });
  if (!values.out) throw new CheckpointError('--out <dir> is required: the folder the set is written to.');
  if (values.precision !== 'fp16' && values.precision !== 'fp32') throw new CheckpointError(`--precision must be fp16 or fp32 (got "${values.precision}").`);
  const precision = values.precision;
  const overrides: ArchOverrides = { textHeads: positiveInt(values['text-heads'], '--text-heads'), unetHeads: positiveInt(values['unet-heads'], '--unet-heads') };
  const open = async (path: string, paired: UnetShape | null = null) => openCheckpoint({ files: await inputFiles(path), overrides: { ...overrides, paired }, precision } satisfies CheckpointInput);
  const out = resolve(values.out);
  const base = values.checkpoint ? await open(values.checkpoint) : null;
  if (base && base.kind !== 'pipeline') throw new CheckpointError(`${values.checkpoint} is a ControlNet, not a base model. Give it with --controlnet <name>=${values.checkpoint}.`);
  // A ControlNet's heads, which its weights do not say, come from the base model it is converted with (or the set it is added to).
  const paired = base ? unetShape(base.arch.unet) : existingSetShape(out);
  const controlnets: NamedControlNet[] = [];
  for (const spec of values.controlnet) {
    const m = /^([\w.-]+)=(.+)$/.exec(spec);
    if (!m) throw new CheckpointError(`--controlnet "${spec}" is not <name>=<file or folder>.`);
    const opened = await open(m[2]!, paired);
    if (opened.kind !== 'controlnet') throw new CheckpointError(`--controlnet ${m[1]}: ${m[2]} is a whole model, not a ControlNet. Give it with --checkpoint.`);
    controlnets.push({ name: m[1]!, opened });
  }
  const progress = new ProgressLines(log, tty);
  const onProgress = (p: GraphProgress) => progress.report(p);

  const taesd = values.taesd.length ? await openTaesd(new Map((await Promise.all(values.taesd.map(inputFiles))).flatMap((m) => [...m]))) : null;
  if (!base) {
    if (!controlnets.length && !taesd) throw new CheckpointError('Give --checkpoint (a base model), or --controlnet / --taesd to add to the set in --out.');
    if (values.lora.length) throw new CheckpointError('--lora bakes LoRAs into a base model: give it with --checkpoint.');
    const store = folderStore(out);
    const result = controlnets.length ? await addControlNetsToSet(controlnets, { store, root: '', precision, onProgress }) : { notices: [] };
    if (taesd) await addTaesdToSet(taesd, { store, root: '', onProgress });
    progress.end();
    return { out, notices: result.notices };
  }
  if (existsSync(out) && readdirSync(out).length) throw new CheckpointError(`${out} exists and is not empty; give a new folder (or only --controlnet to add to the set there).`);
  // Written beside the target and renamed into place at the end, so a failed run leaves nothing.
  const partial = `${out}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const { applied } = await resolveLoras(values.lora.map(parseLoraSpec), [], []);
  const loras = applied.length ? { applied, merger: nodeLoraMerger() } : undefined;
  const into = { store: folderStore(dirname(partial)), root: basename(partial), onProgress };
  const result = await convertPipeline(base, controlnets, () => readFile(CLIP_VOCAB), { ...into, precision, loras });
  if (taesd) await addTaesdToSet(taesd, into).catch((err: unknown) => (rmSync(partial, { recursive: true, force: true }), Promise.reject(err)));
  rmSync(out, { recursive: true, force: true });
  renameSync(partial, out);
  progress.end();
  return { out, notices: result.notices };
}

/** The UNet shape of the set already at `out` (ControlNets are added to it), or null. */
function existingSetShape(out: string): UnetShape | null {
  const index = join(out, 'model_index.json');
  return existsSync(index) ? ((JSON.parse(readFileSync(index, 'utf8')) as ModelIndex).controlnet_studio?.unet_shape ?? null) : null;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    ({ out, notices }) => {
      for (const n of notices) console.log(`note: ${n}`);
      console.log(`wrote ${out}`);
    },
    (err: Error) => {
      console.error(`\nerror: ${err.message}`);
      process.exit(1);
    },
  );
}
