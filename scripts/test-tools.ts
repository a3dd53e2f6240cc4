// Finds (and on a fresh Debian machine, as root, installs) the system tools the tests
// need: a Chromium for Playwright, and Python's onnx package for onnx.checker.
// `tsx scripts/test-tools.ts` runs before the tests; the test configs then only look.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Headless Chromium with real WebGPU on SwiftShader, and none of its background network traffic. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const canAptInstall = () => process.getuid?.() === 0 && existsSync('/etc/debian_version') && existsSync('/usr/bin/apt-get');

function aptInstall(packages: string[]): void {
  console.log(`Installing Debian packages: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}

function playwrightOwnChromium(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const { chromium } = require('playwright-core') as { chromium: { executablePath(): string } };
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** CHROMIUM_PATH, then Debian's /usr/bin/chromium, then Playwright's own download. */
export function findChromium(): string | null {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is set to ${fromEnv}, but there is no file there.`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return playwrightOwnChromium();
}

export function ensureChromium(): string {
  const found = findChromium();
  if (found) return found;
  if (canAptInstall()) {
    aptInstall(['chromium']);
    return '/usr/bin/chromium';
  }
  throw new Error(
    'The browser tests need Chromium and none was found. Install one (Debian/Ubuntu: `sudo apt-get install chromium`), ' +
      'or set CHROMIUM_PATH to a Chromium/Chrome binary, or run `npx playwright install chromium`.',
  );
}

const pythonHasOnnx = (python: string) => spawnSync(python, ['-c', 'import onnx'], { stdio: 'ignore' }).status === 0;

/** A Python that can `import onnx`: $PYTHON_ONNX, python3 on PATH, or Debian's /usr/bin/python3. */
export function findPythonWithOnnx(): string | null {
  const candidates = [process.env.PYTHON_ONNX, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  return candidates.find(pythonHasOnnx) ?? null;
}

export function ensurePythonWithOnnx(): string {
  const found = findPythonWithOnnx();
  if (found) return found;
  if (canAptInstall()) {
    aptInstall(['python3-onnx']);
    if (pythonHasOnnx('/usr/bin/python3')) return '/usr/bin/python3';
  }
  throw new Error(
    'The model tests run onnx.checker and need Python with the onnx package. Install it (Debian: `sudo apt-get install python3-onnx`, ' +
      'elsewhere `pip install onnx`), or set PYTHON_ONNX to such a Python.',
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`chromium: ${ensureChromium()}`);
  console.log(`python with onnx: ${ensurePythonWithOnnx()}`);
}
