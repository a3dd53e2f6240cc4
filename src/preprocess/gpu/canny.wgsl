// Canny on the GPU, in the same integer arithmetic as canny.ts (the CPU reference):
// sobel → non-maximum suppression → hysteresis (tile by tile in workgroup memory, only on the
// tiles the host lists) → output.

struct Params {
  width: u32,
  height: u32,
  colours: u32,   // 1 (grey in the red byte) or 3
  l2: u32,
  low: i32,
  high: i32,
}

// tan(22.5°) in Q15; set from canny.ts so both paths share one definition.
override TG22: i32;
// Tile flag bits and the work list's layout, set from the host's definitions (gpu-preprocessor.ts).
override TILE_WEAK: u32;
override TILE_STRONG: u32;
override NO_TILE: u32;
override MAX_GROUPS_X: u32;
const SHIFT: u32 = 15u;
const TILE: u32 = 16u;

fn tilesX() -> u32 { return (params.width + TILE - 1u) / TILE; }
fn tileCount() -> u32 { return tilesX() * ((params.height + TILE - 1u) / TILE); }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;        // RGBA8 packed
@group(0) @binding(2) var<storage, read_write> grad: array<vec2<i32>>; // dx, dy of the strongest channel
@group(0) @binding(3) var<storage, read_write> mag: array<i32>;
@group(0) @binding(4) var<storage, read_write> state: array<atomic<u32>>; // 0 weak, 1 none, 2 strong
// Per 16×16 tile: [0, tiles) bit 1 "has a weak pixel", bit 2 "has a strong pixel" (from
// suppress); [tiles, 2·tiles) 1 where this hysteresis round made a pixel strong (cleared each round).
@group(0) @binding(5) var<storage, read_write> tileFlags: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> edges: array<u32>;     // 0 or 255
@group(0) @binding(7) var<storage, read> work: array<u32>;           // this round's tiles, NO_TILE-padded

fn channel(x: i32, y: i32, c: u32) -> i32 {
  let cx = clamp(x, 0, i32(params.width) - 1);   // replicated border
  let cy = clamp(y, 0, i32(params.height) - 1);
  return i32((pixels[u32(cy) * params.width + u32(cx)] >> (8u * c)) & 0xffu);
}

@compute @workgroup_size(16, 16)
fn sobel(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let x = i32(id.x);
  let y = i32(id.y);
  var best = -1;
  var bestGrad = vec2<i32>(0, 0);
  for (var c = 0u; c < params.colours; c++) {
    let gx = channel(x + 1, y - 1, c) - channel(x - 1, y - 1, c) + 2 * (channel(x + 1, y, c) - channel(x - 1, y, c)) + channel(x + 1, y + 1, c) - channel(x - 1, y + 1, c);
    let gy = channel(x - 1, y + 1, c) - channel(x - 1, y - 1, c) + 2 * (channel(x, y + 1, c) - channel(x, y - 1, c)) + channel(x + 1, y + 1, c) - channel(x + 1, y - 1, c);
    var m = abs(gx) + abs(gy);
    if (params.l2 == 1u) { m = gx * gx + gy * gy; }
    if (m > best) { best = m; bestGrad = vec2<i32>(gx, gy); }
  }
  let i = id.y * params.width + id.x;
  grad[i] = bestGrad;
  mag[i] = best;
}

fn magAt(x: i32, y: i32) -> i32 {
  if (x < 0 || y < 0 || x >= i32(params.width) || y >= i32(params.height)) { return 0; }
  return mag[u32(y) * params.width + u32(x)];
}

@compute @workgroup_size(16, 16)
fn suppress(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let x = i32(id.x);
  let y = i32(id.y);
  let i = id.y * params.width + id.x;
  let m = mag[i];
  var s = 1u;
  if (m > params.low) {
    let g = grad[i];
    let ax = abs(g.x);
    let ay = abs(g.y) << SHIFT;
    let tg22x = ax * TG22;
    var isMax = false;
    if (ay < tg22x) {
      isMax = m > magAt(x - 1, y) && m >= magAt(x + 1, y);
    } else if (ay > tg22x + (ax << (SHIFT + 1u))) {
      isMax = m > magAt(x, y - 1) && m >= magAt(x, y + 1);
    } else {
      var d = 1;
      if ((g.x ^ g.y) < 0) { d = -1; }
      isMax = m > magAt(x - d, y - 1) && m > magAt(x + d, y + 1);
    }
    if (isMax) {
      s = 0u;
      if (m > params.high) { s = 2u; }
    }
  }
  atomicStore(&state[i], s);
  if (s != 1u) { atomicOr(&tileFlags[(id.y / TILE) * tilesX() + id.x / TILE], select(TILE_WEAK, TILE_STRONG, s == 2u)); }
}

// Hysteresis, one 16×16 tile per workgroup: the tile and a one-pixel halo are loaded into
// workgroup memory, strong edges grow through the tile's weak pixels there until the tile
// stops changing, and only then is the tile written back. A chain that leaves the tile
// continues in the neighbouring tile's next round (which sees it in its halo), so the host
// repeats rounds until one changes nothing. Updates are monotonic (0 → 2), so tiles may
// run in any order and converge to the CPU's depth-first result. The host lists the tiles
// that can grow (`work`): a workgroup costs the same whether or not it has anything to do.
const SPAN: u32 = 18u; // TILE + a halo pixel on each side
var<workgroup> tile: array<atomic<u32>, 324>; // SPAN²
var<workgroup> tileGrew: atomic<u32>;
var<workgroup> again: u32;
var<workgroup> groupTile: u32;

@compute @workgroup_size(16, 16)
fn grow_tile(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (li == 0u) { groupTile = work[wid.y * MAX_GROUPS_X + wid.x]; }
  let t = workgroupUniformLoad(&groupTile);
  if (t == NO_TILE) { return; } // padding of the last row of workgroups
  let tx = t % tilesX();
  let ty = t / tilesX();
  let origin = vec2<i32>(i32(tx * TILE) - 1, i32(ty * TILE) - 1);
  for (var k = li; k < SPAN * SPAN; k += TILE * TILE) {
    let p = origin + vec2<i32>(i32(k % SPAN), i32(k / SPAN));
    var s = 1u; // outside the image: never an edge
    if (p.x >= 0 && p.y >= 0 && p.x < i32(params.width) && p.y < i32(params.height)) {
      s = atomicLoad(&state[u32(p.y) * params.width + u32(p.x)]);
    }
    atomicStore(&tile[k], s);
  }
  workgroupBarrier(); // the whole tile is loaded before anyone reads it
  let me = (lid.y + 1u) * SPAN + lid.x + 1u;
  let inside = tx * TILE + lid.x < params.width && ty * TILE + lid.y < params.height;
  let before = atomicLoad(&tile[me]);
  loop {
    if (li == 0u) { atomicStore(&tileGrew, 0u); }
    workgroupBarrier();
    if (inside && atomicLoad(&tile[me]) == 0u) {
      for (var dy = 0u; dy < 3u; dy++) {
        for (var dx = 0u; dx < 3u; dx++) {
          if (atomicLoad(&tile[me + dy * SPAN + dx - SPAN - 1u]) == 2u) {
            atomicStore(&tile[me], 2u);
            atomicStore(&tileGrew, 1u);
          }
        }
      }
    }
    workgroupBarrier();
    if (li == 0u) { again = atomicLoad(&tileGrew); }
    if (workgroupUniformLoad(&again) == 0u) { break; }
  }
  if (inside && before == 0u && atomicLoad(&tile[me]) == 2u) {
    atomicStore(&state[(ty * TILE + lid.y) * params.width + tx * TILE + lid.x], 2u);
    atomicStore(&tileFlags[tileCount() + t], 1u);
  }
}

@compute @workgroup_size(16, 16)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let i = id.y * params.width + id.x;
  edges[i] = select(0u, 255u, atomicLoad(&state[i]) == 2u);
}
