// Normal map from depth on the GPU, ControlNet's formula as in normal.ts (the CPU reference):
// a two-stage min/max reduction, then per-pixel Sobel (reflect-101), background mask,
// L2 normalisation and ×127.5 + 127.5, packed as RGBA8.

struct Params {
  width: u32,
  height: u32,
  a: f32,
  bgThreshold: f32,
  partials: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> depth: array<f32>;
@group(0) @binding(2) var<storage, read_write> range: array<vec2<f32>>; // per-workgroup (min, max); [0] holds the total after `reduce_total`
@group(0) @binding(3) var<storage, read_write> normals: array<u32>;

var<workgroup> lo: array<f32, 256>;
var<workgroup> hi: array<f32, 256>;

@compute @workgroup_size(256)
fn reduce_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let n = params.width * params.height;
  var a = 3.4e38;
  var b = -3.4e38;
  if (gid.x < n) { a = depth[gid.x]; b = a; }
  lo[li] = a;
  hi[li] = b;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) { lo[li] = min(lo[li], lo[li + s]); hi[li] = max(hi[li], hi[li + s]); }
    workgroupBarrier();
  }
  if (li == 0u) { range[wid.x + 1u] = vec2<f32>(lo[0], hi[0]); }
}

@compute @workgroup_size(1)
fn reduce_total() {
  var r = vec2<f32>(3.4e38, -3.4e38);
  for (var i = 0u; i < params.partials; i++) {
    let p = range[i + 1u];
    r = vec2<f32>(min(r.x, p.x), max(r.y, p.y));
  }
  range[0] = r;
}

fn reflect101(i: i32, n: i32) -> i32 {
  if (n == 1) { return 0; }
  if (i < 0) { return -i; }
  if (i >= n) { return 2 * n - 2 - i; }
  return i;
}

fn d(x: i32, y: i32) -> f32 {
  let w = i32(params.width);
  return depth[u32(reflect101(y, i32(params.height)) * w + reflect101(x, w))];
}

fn toByte(v: f32) -> u32 {
  return u32(trunc(clamp(v * 127.5 + 127.5, 0.0, 255.0)));
}

@compute @workgroup_size(16, 16)
fn normal(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= params.width || id.y >= params.height) { return; }
  let x = i32(id.x);
  let y = i32(id.y);
  var gx = d(x + 1, y - 1) - d(x - 1, y - 1) + 2.0 * (d(x + 1, y) - d(x - 1, y)) + d(x + 1, y + 1) - d(x - 1, y + 1);
  var gy = d(x - 1, y + 1) - d(x - 1, y - 1) + 2.0 * (d(x, y + 1) - d(x, y - 1)) + d(x + 1, y + 1) - d(x + 1, y - 1);
  let r = range[0];
  var normalised = 0.0;
  if (r.y > r.x) { normalised = (d(x, y) - r.x) / (r.y - r.x); }
  if (normalised < params.bgThreshold) { gx = 0.0; gy = 0.0; }
  let len = sqrt(gx * gx + gy * gy + params.a * params.a);
  normals[id.y * params.width + id.x] = toByte(gx / len) | (toByte(gy / len) << 8u) | (toByte(params.a / len) << 16u) | (255u << 24u);
}
