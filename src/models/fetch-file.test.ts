import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../test/model-server.ts';
import { urlSource } from './fetch-file.ts';

const SET = 'public/models/tiny-sd15';

describe('a set served over HTTP', () => {
  let server: ModelServer;
  beforeAll(async () => void (server = await startModelServer(SET)));
  afterAll(() => server.close());

  it('reads one weight with Range requests (206), never a whole-file GET', async () => {
    const source = urlSource(server.url);
    const whole = readFileSync(`${SET}/unet/model.onnx`);
    const part = await source.readRange!('unet/model.onnx', 1000, 4096);
    expect(part).toEqual(new Uint8Array(whole.subarray(1000, 5096)));
    const requests = server.log.filter((r) => r.path === 'unet/model.onnx');
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.range !== null && r.status === 206)).toBe(true);
  });

  it('refuses a read past the end of the file in words', async () => {
    const size = readFileSync(`${SET}/unet/model.onnx`).length;
    await expect(urlSource(server.url).readRange!('unet/model.onnx', size - 10, 100)).rejects.toThrow(/unet\/model\.onnx ends before bytes \d+–\d+: the file is truncated/);
  });
});
