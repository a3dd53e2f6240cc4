// Starts a script with Vulkan where Dawn (onnxruntime-node's WebGPU EP) can find it. A GPU
// machine has its driver's ICD and a system Vulkan loader; this machine has neither, only
// Chromium's SwiftShader ICD and loader, which Dawn accepts (Mesa's lavapipe it refuses).
// The loader path has to be set before the process starts, hence a child process.
//   tsx scripts/bench/with-vulkan.ts scripts/bench/gpu.ts [args…]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const CHROMIUM = '/usr/lib/chromium';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];

function hasSystemLoader(): boolean {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libvulkan.so.1');
  } catch {
    return false;
  }
}

const hasDriver = () => Boolean(process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) || ICD_DIRS.some((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')));

const env = { ...process.env };
const notes: string[] = [];
if (!hasSystemLoader() && existsSync(`${CHROMIUM}/libvulkan.so.1`)) {
  env.LD_LIBRARY_PATH = [CHROMIUM, env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  notes.push("Chromium's Vulkan loader");
}
if (!hasDriver() && existsSync(`${CHROMIUM}/vk_swiftshader_icd.json`)) {
  env.VK_ICD_FILENAMES = `${CHROMIUM}/vk_swiftshader_icd.json`;
  notes.push('SwiftShader (software)');
}
env.BENCH_VULKAN = notes.length ? notes.join(' + ') : 'system loader and driver';
const [script, ...args] = process.argv.slice(2);
const child = spawnSync(process.execPath, [...process.execArgv, script!, ...args], { stdio: 'inherit', env });
process.exit(child.status ?? 1);
