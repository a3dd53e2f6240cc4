// The tiny set's own byte-level BPE, laid out exactly like CLIP's vocabulary so the
// studio's CLIP tokenizer reads it unchanged: 256 byte symbols, the same 256 with `</w>`,
// one token per learned merge, then <|startoftext|> and <|endoftext|> last.
import { bytesToUnicode } from '../../src/diffusion/byte-unicode.ts';

// A small corpus of prompt vocabulary: merges learned here cover common prompt words.
const CORPUS = `
a photo of a cat sitting on a red chair, highly detailed, studio lighting
a painting of a bird in a tree, oil on canvas, masterpiece, best quality
a house with a garden and a blue sky, landscape, sunset, mountains, river
portrait of a woman, detailed face, beautiful eyes, soft light, bokeh
a man standing in a room, interior, wooden floor, window, morning light
a dog running on the beach, waves, sand, summer, photograph, sharp focus
low quality, blurry, worst quality, deformed, ugly, bad anatomy, watermark, text
anime style, illustration, digital art, concept art, fantasy castle, dragon
scribble drawing of a bag, sketch, line art, black and white, pencil drawing
cyberpunk city at night, neon lights, rain, reflections, cinematic, 4k, 8k
`;

export interface TinyTokenizer {
  vocab: Record<string, number>;
  merges: [string, string][];
}

export function trainTokenizer(mergeCount: number): TinyTokenizer {
  const byteChar = bytesToUnicode();
  const words = new Map<string, number>();
  for (const w of CORPUS.toLowerCase().match(/[a-z]+|[0-9]/g) ?? []) words.set(w, (words.get(w) ?? 0) + 1);
  const splits = new Map<string, string[]>();
  for (const w of words.keys()) {
    const symbols = [...new TextEncoder().encode(w)].map((b) => byteChar.get(b)!);
    symbols[symbols.length - 1] += '</w>';
    splits.set(w, symbols);
  }

  const merges: [string, string][] = [];
  while (merges.length < mergeCount) {
    const counts = new Map<string, number>();
    for (const [w, symbols] of splits) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + words.get(w)!);
      }
    }
    // Most frequent pair; ties go to the lexically first, so training is deterministic.
    let best: string | null = null;
    for (const [key, n] of counts) if (best === null || n > counts.get(best)! || (n === counts.get(best)! && key < best)) best = key;
    if (best === null) break;
    const [a, b] = best.split(' ') as [string, string];
    merges.push([a, b]);
    for (const symbols of splits.values()) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b) symbols.splice(i, 2, a + b);
      }
    }
  }

  const tokens = [...byteChar.values()];
  const list = [...tokens, ...tokens.map((t) => t + '</w>'), ...merges.map(([a, b]) => a + b), '<|startoftext|>', '<|endoftext|>'];
  const vocab: Record<string, number> = {};
  list.forEach((t, i) => (vocab[t] = i));
  return { vocab, merges };
}

export function mergesText(merges: [string, string][]): string {
  return ['#version: 0.2', ...merges.map(([a, b]) => `${a} ${b}`)].join('\n') + '\n';
}
