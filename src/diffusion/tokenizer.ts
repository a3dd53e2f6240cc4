// CLIP's BPE tokenizer (openai/CLIP simple_tokenizer.py, as Hugging Face's CLIPTokenizer
// loads it from vocab.json + merges.txt): clean, lowercase, split with CLIP's regex,
// byte-encode, merge pairs by rank with `</w>` marking word ends, then
// [start] + ids + [end], truncated to 77 and padded with the end token.
import { bytesToUnicode } from './byte-unicode.ts';

export const MAX_TOKENS = 77;
const START = '<|startoftext|>';
const END = '<|endoftext|>';
const PRE_TOKENIZER = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** html.unescape for numeric references and the common named ones. */
function htmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

/** CLIP's basic_clean (twice-unescaped HTML) and whitespace_clean, then lowercase. */
export function cleanText(text: string): string {
  return htmlUnescape(htmlUnescape(text)).trim().replace(/\s+/g, ' ').trim().toLowerCase();
}

export class ClipTokenizer {
  private readonly byteEncoder = bytesToUnicode();
  private readonly cache = new Map<string, string[]>();
  readonly startId: number;
  readonly endId: number;

  private constructor(
    private readonly vocab: Map<string, number>,
    private readonly ranks: Map<string, number>,
  ) {
    const start = vocab.get(START);
    const end = vocab.get(END);
    if (start === undefined || end === undefined) throw new Error(`vocab.json has no ${START} / ${END} tokens: not a CLIP vocabulary.`);
    this.startId = start;
    this.endId = end;
  }

  static fromFiles(vocabJsonText: string, mergesText: string): ClipTokenizer {
    const vocab = new Map(Object.entries(JSON.parse(vocabJsonText) as Record<string, number>));
    const ranks = new Map<string, number>();
    const lines = mergesText.split('\n');
    // The first line is the "#version" header; a merge's line order is its rank.
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line) ranks.set(line, ranks.size);
    }
    return new ClipTokenizer(vocab, ranks);
  }

  /** Token ids of `text` without start/end tokens. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const piece of cleanText(text).match(PRE_TOKENIZER) ?? []) {
      const encoded = [...new TextEncoder().encode(piece)].map((b) => this.byteEncoder.get(b)!).join('');
      for (const token of this.bpe(encoded)) {
        const id = this.vocab.get(token);
        if (id === undefined) throw new Error(`token "${token}" is not in the vocabulary`);
        ids.push(id);
      }
    }
    return ids;
  }

  /** 77 ids: start, up to 75 tokens, end, then end-token padding. */
  encode(text: string): number[] {
    const ids = [this.startId, ...this.tokenize(text).slice(0, MAX_TOKENS - 2), this.endId];
    while (ids.length < MAX_TOKENS) ids.push(this.endId);
    return ids;
  }

  private bpe(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = [...token];
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the best pair, left to right, as CLIP does.
      const [a, b] = [word[best]!, word[best + 1]!];
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(word[i]!);
      }
      word = merged;
    }
    this.cache.set(token, word);
    return word;
  }
}
