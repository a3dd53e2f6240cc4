import { describe, expect, it } from 'vitest';
import { TILE_STRONG, TILE_WEAK, tilesToGrow } from './hysteresis-tiles.ts';

// A 4×3 grid of tiles, numbered row by row:
//    0  1  2  3
//    4  5  6  7
//    8  9 10 11
const grid = (set: Record<number, number>) => {
  const flags = new Uint32Array(12);
  for (const [t, f] of Object.entries(set)) flags[Number(t)] = f;
  return flags;
};

describe('tilesToGrow', () => {
  it('first round: a tile with a weak pixel runs when it or a tile around it (diagonals too) has a strong pixel', () => {
    const flags = grid({ 0: TILE_STRONG, 5: TILE_WEAK, 3: TILE_WEAK, 7: TILE_WEAK | TILE_STRONG, 9: TILE_STRONG, 11: TILE_WEAK });
    // 5 touches 0 (diagonal) and 9; 7 has both itself; 3 touches 7; 11 touches 7 (above) — 9 is two columns away.
    expect(tilesToGrow(flags, null, 4, 3)).toEqual([3, 5, 7, 11]);
  });

  it('a tile without weak pixels never runs, however much is strong around it', () => {
    const flags = grid({ 0: TILE_STRONG, 1: TILE_STRONG, 4: TILE_STRONG, 5: TILE_STRONG });
    expect(tilesToGrow(flags, null, 4, 3)).toEqual([]);
  });

  it('later rounds: the weak tiles around one that grew, not the tile itself (it grew until it stopped)', () => {
    const flags = grid({ 0: TILE_WEAK, 2: TILE_WEAK, 5: TILE_WEAK, 6: TILE_WEAK, 10: TILE_WEAK, 11: TILE_WEAK, 8: TILE_WEAK });
    const grew = new Uint32Array(12);
    grew[5] = 1;
    // Around 5: 0 1 2 / 4 6 / 8 9 10; of those, 0 2 6 8 10 have weak pixels. 11 is not next to 5.
    expect(tilesToGrow(flags, grew, 4, 3)).toEqual([0, 2, 6, 8, 10]);
  });

  it('is empty once a round grows nothing: hysteresis is done', () => {
    const flags = grid({ 0: TILE_WEAK | TILE_STRONG, 1: TILE_WEAK });
    expect(tilesToGrow(flags, new Uint32Array(12), 4, 3)).toEqual([]);
  });

  it('keeps to the grid at its edges (no wrap from the end of one row to the next)', () => {
    const flags = grid({ 3: TILE_STRONG, 4: TILE_WEAK });
    expect(tilesToGrow(flags, null, 4, 3)).toEqual([]);
  });
});
