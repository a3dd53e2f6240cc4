// Which 16×16 tiles a round of GPU Canny hysteresis must run (canny.wgsl's grow_tile): only a
// tile with a weak pixel can change, and only when a strong pixel can reach its one-pixel halo.

/** Bits of the per-tile flags suppress writes. */
export const TILE_WEAK = 1;
export const TILE_STRONG = 2;

/**
 * The first round (`grew` null): tiles with a weak pixel and a strong one in the tile or a
 * neighbouring tile (its halo lies there). Later rounds: tiles with a weak pixel next to a tile
 * that grew in the last round. A tile that grew is finished inside itself (it grows until it stops
 * changing), and any neighbour that ran beside it in that round may have read its halo before
 * the growth, so every neighbour runs again. An empty list means hysteresis is done.
 */
export function tilesToGrow(flags: Uint32Array, grew: Uint32Array | null, tilesX: number, tilesY: number): number[] {
  const list: number[] = [];
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const t = ty * tilesX + tx;
      if (!(flags[t]! & TILE_WEAK)) continue;
      let reached = false;
      for (let dy = -1; dy <= 1 && !reached; dy++) {
        for (let dx = -1; dx <= 1 && !reached; dx++) {
          const [nx, ny] = [tx + dx, ty + dy];
          if (nx < 0 || ny < 0 || nx >= tilesX || ny >= tilesY) continue;
          const nt = ny * tilesX + nx;
          reached = grew === null ? (flags[nt]! & TILE_STRONG) !== 0 : nt !== t && grew[nt] !== 0;
        }
      }
      if (reached) list.push(t);
    }
  }
  return list;
}
