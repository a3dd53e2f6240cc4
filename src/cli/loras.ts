// LoRA files for the CLIs: `--lora <file>[:<m>[:<unet m>]]` (A1111's order: the first number is
// the text encoder's, the second the UNet's, which defaults to the first), `--lora-dir <dir>`
// for the files a prompt's <lora:name:…> tags name, the merges on onnxruntime-node's CPU kernels,
// and the files' hashes for A1111's "Lora hashes".
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { CheckpointError } from '../convert/errors.ts';
import { readLora } from '../convert/lora/lora-file.ts';
import { LoraMerger } from '../convert/lora/lora-merge.ts';
import type { AppliedLora } from '../convert/lora/lora-targets.ts';
import { loraMultipliers, type LoraTag } from '../diffusion/extra-networks.ts';
import { fileBytes } from './fs-bytes.ts';
import { NodeSession } from './node-runtime.ts';

export interface LoraSpec {
  path: string;
  text: number;
  unet: number;
}

/** The name a prompt tag uses for a file: its name without the extension, as A1111 lists them. */
export const loraName = (path: string) => basename(path, extname(path));

/** "<file>[:<te>[:<unet>]]" or with te= / unet=; the path may itself hold colons (a URL), so numbers are taken from the end. */
export function parseLoraSpec(spec: string): LoraSpec {
  const parts = spec.split(':');
  const items: string[] = [];
  while (parts.length > 1 && /^(te=|unet=)?[-+]?(\d+\.?\d*|\.\d+)$/.test(parts[parts.length - 1]!)) items.unshift(parts.pop()!);
  return { path: parts.join(':'), ...loraMultipliers(items, `--lora ${spec}`) };
}

export const nodeLoraMerger = () => new LoraMerger((bytes, label) => NodeSession.create(bytes, label));

export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** LoRA files in a folder, by the name a tag gives them. */
function filesIn(dirs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(`--lora-dir ${dir} is not a folder.`);
    for (const name of readdirSync(dir)) if (/\.(safetensors|pt|bin|ckpt)$/i.test(name)) out.set(loraName(name), join(dir, name));
  }
  return out;
}

export interface ResolvedLoras {
  applied: AppliedLora[];
  /** Name and first 12 hex digits of each file's sha256, for A1111's "Lora hashes". */
  hashes: { name: string; hash: string }[];
}

/** The --lora files, then each prompt tag's file (from --lora or --lora-dir), read and checked. */
export async function resolveLoras(specs: LoraSpec[], dirs: string[], tags: LoraTag[]): Promise<ResolvedLoras> {
  const known = filesIn(dirs);
  for (const s of specs) known.set(loraName(s.path), s.path);
  const wanted = [...specs, ...tags.map((t) => ({ ...t, path: known.get(t.name) ?? '' }))];
  const missing = tags.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (missing.length)
    throw new CheckpointError(`The prompt names LoRA ${missing.join(', ')}, which is not among the --lora files or in a --lora-dir folder (${[...known.keys()].join(', ') || 'none given'}).`);
  const files = new Map<string, Promise<AppliedLora['lora']>>();
  const applied: AppliedLora[] = [];
  for (const w of wanted) {
    if (!files.has(w.path)) files.set(w.path, fileBytes(w.path).then(readLora));
    applied.push({ lora: await files.get(w.path)!, text: w.text, unet: w.unet });
  }
  const hashes = await Promise.all([...new Set(wanted.map((w) => w.path))].map(async (p) => ({ name: loraName(p), hash: (await fileSha256(p)).slice(0, 12) })));
  return { applied, hashes };
}
