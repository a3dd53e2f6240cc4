// Launch options for a Chromium without WebGPU: the engine then runs everything on WASM.
// Specs about downloads and storage use it too, since loading there skips SwiftShader's slow
// WebGPU session set-up without changing what they test.
import { CHROMIUM_ARGS, ensureChromium } from '../../scripts/test-tools.ts';

const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

export const NO_WEBGPU_LAUNCH = {
  executablePath: ensureChromium(),
  args: [...CHROMIUM_ARGS.filter((a) => !WEBGPU_FLAGS.includes(a)), '--disable-features=WebGPU'],
};
