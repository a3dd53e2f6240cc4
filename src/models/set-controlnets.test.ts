// A folder exported as the README's recipe says — controlnet/<name>/model.onnx, but no
// controlnet_studio entry in model_index.json — has its ControlNets found: by the CLI, by the
// browser's folder loader and in a set served over HTTP (directory listing).
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as generateCli, readPng } from '../cli/generate.ts';
import { nodeOps, nodeSession } from '../cli/node-runtime.ts';
import { startModelServer, type ModelServer } from '../test/model-server.ts';
import { urlSource } from './fetch-file.ts';
import { loadModelSet } from './load-set.ts';
import { resolveRemoteSet } from './manifest.ts';
import { blobSource } from './set-files.ts';

/** The tiny set without our entry: only diffusers' keys in model_index.json. */
function diffusersLayoutCopy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'diffusers-layout-')), 'set');
  cpSync('public/models/tiny-sd15', dir, { recursive: true });
  const index = JSON.parse(readFileSync(join(dir, 'model_index.json'), 'utf8'));
  delete index.controlnet_studio;
  writeFileSync(join(dir, 'model_index.json'), JSON.stringify(index));
  return dir;
}

function filesUnder(dir: string): Record<string, Blob> {
  const out: Record<string, Blob> = {};
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = new Blob([readFileSync(p)]);
    }
  };
  walk(dir);
  return out;
}

let set: string;
let server: ModelServer;
beforeAll(async () => {
  set = diffusersLayoutCopy();
  server = await startModelServer(set);
});
afterAll(() => server.close());

const ALL = ['canny', 'inpaint', 'scribble', 'zero-init'];
const load = (source: Parameters<typeof loadModelSet>[0]) => loadModelSet(source, { createSession: nodeSession(), ops: nodeOps() });

describe('ControlNets of a diffusers-layout folder', () => {
  it('npm run generate -- --control edges=… uses controlnet/<name>/ without our entry', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'gen-')), 'out.png');
    const edges = join(mkdtempSync(join(tmpdir(), 'edges-')), 'edges.png');
    cpSync(join(import.meta.dirname, '../../../shared/data/images/bird.png'), edges);
    await generateCli(['--models', set, '--prompt', 'a bird', '--control', `canny=${edges}`, '--steps', '2', '--width', '64', '--height', '64', '--out', out]);
    expect(readPng(out).width).toBe(64);
    const other = generateCli(['--models', set, '--control', `edges=${edges}`, '--steps', '1', '--width', '64', '--height', '64', '--out', out]);
    await expect(other).rejects.toThrow(`There is no ControlNet named edges; this set has ${ALL.join(', ')}.`);
  });

  it('the browser’s folder loader and a set served over HTTP find the same ControlNets', async () => {
    expect((await load(blobSource(filesUnder(set)))).capabilities.controlnets).toEqual(ALL);
    expect((await load(urlSource(server.url))).capabilities.controlnets).toEqual(ALL);
    const remote = await resolveRemoteSet(server.url);
    expect(remote.files.map((f) => f.path.slice(remote.id.length + 1)).filter((p) => p.startsWith('controlnet/'))).toEqual(ALL.map((n) => `controlnet/${n}/model.onnx`));
  });
});
