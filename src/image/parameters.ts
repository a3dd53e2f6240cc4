// A1111's `parameters` text: the prompt, "Negative prompt:", then one line of
// "Key: value" pairs, with one `ControlNet N: "…"` entry per unit, so A1111 and
// tools that read its PNGs understand our images.

export interface ParametersUnit {
  module: string;
  model: string;
  weight: number;
  guidanceStart: number;
  guidanceEnd: number;
  controlMode: string;
  resizeMode: string;
  pixelPerfect: boolean;
}

export interface ParametersInfo {
  prompt: string;
  negativePrompt: string;
  steps: number;
  sampler: string;
  cfgScale: number;
  seed: string | number | bigint;
  width: number;
  height: number;
  model: string;
  units: ParametersUnit[];
  /** LoRAs the prompt's tags (or the run) applied: A1111's "Lora hashes", the first 12 hex digits of each file's sha256. */
  loraHashes?: { name: string; hash: string }[];
  /** Further "Key: value" fields, in order (img2img's Denoising strength, inpainting's Mask blur, …). */
  extra?: [key: string, value: string | number][];
}

/** Control characters would break the text chunk's reader; newlines stay only in the prompts. */
const clean = (s: string, keepNewlines: boolean) => s.replace(keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/g : /[\u0000-\u001f\u007f]/g, ' ');
/** A value inside the key-value line: no commas, colons or quotes that would split it. */
const value = (s: string) => clean(s, false).replace(/[,:"]/g, ' ').replace(/\s+/g, ' ').trim();

export function formatParameters(p: ParametersInfo): string {
  const fields = [
    `Steps: ${p.steps}`,
    `Sampler: ${value(p.sampler)}`,
    `CFG scale: ${p.cfgScale}`,
    `Seed: ${p.seed}`,
    `Size: ${p.width}x${p.height}`,
    `Model: ${value(p.model)}`,
    ...p.units.map(
      (u, i) =>
        `ControlNet ${i}: "Module: ${value(u.module)}, Model: ${value(u.model)}, Weight: ${u.weight}, Guidance Start: ${u.guidanceStart}, Guidance End: ${u.guidanceEnd}, Control Mode: ${value(u.controlMode)}, Resize Mode: ${value(u.resizeMode)}, Pixel Perfect: ${u.pixelPerfect ? 'True' : 'False'}"`,
    ),
    ...(p.extra ?? []).map(([k, v]) => `${value(k)}: ${typeof v === 'number' ? v : value(v)}`),
    ...(p.loraHashes?.length ? [`Lora hashes: "${p.loraHashes.map((l) => `${value(l.name)}: ${l.hash}`).join(', ')}"`] : []),
  ];
  return `${clean(p.prompt, true)}\nNegative prompt: ${clean(p.negativePrompt, true)}\n${fields.join(', ')}`;
}

/** Reads back the key-value line (quoted values kept whole) and the prompts. */
export function parseParameters(text: string): { prompt: string; negativePrompt: string; fields: Record<string, string> } {
  const lines = text.split('\n');
  const last = lines.pop() ?? '';
  const negIndex = lines.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (negIndex < 0 ? lines : lines.slice(0, negIndex)).join('\n');
  const negativePrompt = negIndex < 0 ? '' : lines.slice(negIndex).join('\n').slice('Negative prompt: '.length);
  const fields: Record<string, string> = {};
  for (const m of last.matchAll(/\s*([\w ]+):\s*("(?:[^"])*"|[^,]*)(?:,|$)/g)) fields[m[1]!.trim()] = m[2]!.replace(/^"|"$/g, '');
  return { prompt, negativePrompt, fields };
}
