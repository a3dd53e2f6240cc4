// CLIP's tokenizer files from the BPE merge list openai/CLIP ships (bpe_simple_vocab_16e6.txt.gz,
// MIT, bundled under public/clip/ with its licence). Single-file checkpoints carry no tokenizer,
// so a converted set gets vocab.json and merges.txt built exactly as CLIP's SimpleTokenizer builds
// its vocabulary: the 256 byte symbols, the same with "</w>", one token per merge, then the two
// special tokens.
import { bytesToUnicode } from '../diffusion/byte-unicode.ts';

/** CLIP uses the first 49152 − 256 − 2 merges of the file (after its header line). */
const MERGES = 49152 - 256 - 2;

/**
 * The merge list's text from the shipped file. Servers often send a .gz with Content-Encoding:
 * gzip, and then the browser has already unpacked it; only bytes that start with gzip's magic are unpacked here.
 */
export async function bpeText(bytes: Uint8Array): Promise<string> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return new TextDecoder().decode(bytes);
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new TextDecoder().decode(await new Response(stream).arrayBuffer());
}

export function clipTokenizerFiles(bpeText: string): { vocab: string; merges: string } {
  const merges = bpeText.split('\n').slice(1, MERGES + 1);
  const bytes = [...bytesToUnicode().values()];
  const tokens = [...bytes, ...bytes.map((b) => `${b}</w>`), ...merges.map((m) => m.split(' ').join('')), '<|startoftext|>', '<|endoftext|>'];
  const vocab = Object.fromEntries(tokens.map((t, i) => [t, i]));
  return { vocab: JSON.stringify(vocab), merges: `#version: 0.2\n${merges.join('\n')}\n` };
}
