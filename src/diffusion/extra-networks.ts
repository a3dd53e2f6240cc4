// A1111's extra-network tags in a prompt, as its modules/extra_networks.py parses them:
// "<lora:name>", "<lora:name:0.8>", "<lora:name:te:unet>" or "<lora:name:te=0.5:unet=1>". Tags
// are taken out of the text before it is encoded (A1111 replaces each with ""), and each LoRA
// tag gives a text-encoder and a UNet multiplier (the second defaults to the first).

export interface LoraTag {
  name: string;
  /** Multiplier for the text encoder (A1111's te). */
  text: number;
  /** Multiplier for the UNet (A1111's unet). */
  unet: number;
}

/** A1111's re_extra_net. */
const EXTRA_NETWORK = /<(\w+):([^>]+)>/g;
/** Tag kinds A1111 treats as LoRAs (its built-in extension registers "lora" and the older "lyco"). */
const LORA_KINDS = new Set(['lora', 'lyco']);

export class PromptTagError extends Error {
  override name = 'PromptTagError';
}

function multiplier(value: string, tag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new PromptTagError(`In ${tag}, "${value}" is not a number: write <lora:name:0.8>.`);
  return n;
}

/** A1111's Lora multipliers from a tag's items after the name: positional te then unet, or named te= / unet=. */
export function loraMultipliers(items: string[], tag: string): { text: number; unet: number } {
  const positional = items.filter((i) => !i.includes('='));
  const named = new Map(items.filter((i) => i.includes('=')).map((i) => [i.slice(0, i.indexOf('=')).trim(), i.slice(i.indexOf('=') + 1)] as const));
  const unknown = [...named.keys()].filter((k) => k !== 'te' && k !== 'unet');
  if (unknown.length) throw new PromptTagError(`${tag} sets ${unknown.join(', ')}, which the studio does not support (it takes te= and unet=).`);
  if (positional.length > 2) throw new PromptTagError(`${tag} has more numbers than A1111's te and unet multipliers.`);
  let text = positional[0] !== undefined ? multiplier(positional[0], tag) : 1;
  if (named.has('te')) text = multiplier(named.get('te')!, tag);
  let unet = positional[1] !== undefined ? multiplier(positional[1], tag) : text;
  if (named.has('unet')) unet = multiplier(named.get('unet')!, tag);
  return { text, unet };
}

/** The prompt without its LoRA tags, and the tags in order. Hypernetwork tags are refused (the studio has none). */
export function extractLoraTags(prompt: string): { prompt: string; loras: LoraTag[] } {
  const loras: LoraTag[] = [];
  const text = prompt.replace(EXTRA_NETWORK, (tag: string, kind: string, args: string) => {
    if (kind === 'hypernet') throw new PromptTagError(`${tag}: hypernetworks are not supported; the studio applies LoRAs (<lora:name:weight>).`);
    if (!LORA_KINDS.has(kind)) return tag;
    const [name, ...items] = args.split(':');
    if (!name?.trim()) throw new PromptTagError(`${tag} names no LoRA: write <lora:name:weight>.`);
    loras.push({ name: name.trim(), ...loraMultipliers(items, tag) });
    return '';
  });
  return { prompt: text, loras };
}
