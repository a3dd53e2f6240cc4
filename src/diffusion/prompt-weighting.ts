// A1111's prompt syntax, as its modules/prompt_parser.py and sd_hijack_clip.py implement it:
// "(word)" ×1.1, "[word]" ÷1.1, "(word:1.3)", escapes "\(" "\)" "\[" "\]", unbalanced
// brackets closed at the end, "BREAK" starting a new chunk; prompts past 75 tokens go to the
// text encoder in 77-token chunks (backing up to a recent comma), and each token's embedding is
// scaled by its weight with the chunk's mean restored afterwards (emphasis "Original").
import type { ClipTokenizer } from './tokenizer.ts';

export type AttentionRun = [text: string, weight: number];

// The alternatives of A1111's re_attention, in its order.
const RE_ATTENTION = /\\\(|\\\)|\\\[|\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|]|[^\\()[\]:]+|:/g;
const RE_BREAK = /\s*\bBREAK\b\s*/s;
const ROUND = 1.1;
const SQUARE = 1 / 1.1;

/** A1111's parse_prompt_attention: [text, weight] runs, neighbours of equal weight merged, BREAK as ['BREAK', -1]. */
export function parsePromptAttention(text: string): AttentionRun[] {
  const res: AttentionRun[] = [];
  const round: number[] = [];
  const square: number[] = [];
  // Multiplied one run at a time, in A1111's order, so the floating-point products are the same.
  const multiplyRange = (start: number, multiplier: number) => {
    for (let p = start; p < res.length; p++) res[p]![1] *= multiplier;
  };
  for (const m of text.matchAll(RE_ATTENTION)) {
    const token = m[0];
    const weight = m[1];
    if (token.startsWith('\\')) res.push([token.slice(1), 1.0]);
    else if (token === '(') round.push(res.length);
    else if (token === '[') square.push(res.length);
    else if (weight !== undefined && round.length) multiplyRange(round.pop()!, Number.parseFloat(weight));
    else if (token === ')' && round.length) multiplyRange(round.pop()!, ROUND);
    else if (token === ']' && square.length) multiplyRange(square.pop()!, SQUARE);
    else {
      token.split(RE_BREAK).forEach((part, i) => {
        if (i > 0) res.push(['BREAK', -1]);
        res.push([part, 1.0]);
      });
    }
  }
  for (const pos of round) multiplyRange(pos, ROUND);
  for (const pos of square) multiplyRange(pos, SQUARE);
  if (res.length === 0) res.push(['', 1.0]);
  for (let i = 0; i + 1 < res.length;) {
    if (res[i]![1] === res[i + 1]![1]) {
      res[i]![0] += res[i + 1]![0];
      res.splice(i + 1, 1);
    } else i++;
  }
  return res;
}

/** One 77-token chunk for the text encoder: start, 75 tokens (padded with the end token), end; and each token's weight. */
export interface PromptChunk {
  ids: number[];
  weights: number[];
}

const CHUNK = 75;
/** A1111's comma_padding_backtrack: a chunk that fills up moves the words after a comma this close to its end into the next chunk. */
const COMMA_BACKTRACK = 20;

/** A1111's tokenize_line: the prompt's weighted runs as 77-token chunks. */
export function promptChunks(tokenizer: ClipTokenizer, prompt: string): PromptChunk[] {
  const [start, end] = [tokenizer.startId, tokenizer.endId];
  const comma = tokenizer.tokenize(',')[0];
  const chunks: PromptChunk[] = [];
  let ids: number[] = [];
  let weights: number[] = [];
  let lastComma = -1;
  const nextChunk = () => {
    const pad = CHUNK - ids.length;
    chunks.push({ ids: [start, ...ids, ...new Array<number>(Math.max(0, pad)).fill(end), end], weights: [1, ...weights, ...new Array<number>(Math.max(0, pad)).fill(1), 1] });
    ids = [];
    weights = [];
    lastComma = -1;
  };
  for (const [text, weight] of parsePromptAttention(prompt)) {
    if (text === 'BREAK' && weight === -1) {
      nextChunk();
      continue;
    }
    for (const token of tokenizer.tokenize(text)) {
      if (token === comma) lastComma = ids.length;
      else if (ids.length === CHUNK && lastComma !== -1 && ids.length - lastComma <= COMMA_BACKTRACK) {
        const at = lastComma + 1;
        const [movedIds, movedWeights] = [ids.slice(at), weights.slice(at)];
        ids = ids.slice(0, at);
        weights = weights.slice(0, at);
        nextChunk();
        ids = movedIds;
        weights = movedWeights;
      }
      if (ids.length === CHUNK) nextChunk();
      ids.push(token);
      weights.push(weight);
    }
  }
  if (ids.length || !chunks.length) nextChunk();
  return chunks;
}
