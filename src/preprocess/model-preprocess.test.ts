// Depth and pose through their (tiny) ONNX models in Node: the same I/O as the real
// Depth Anything V2 and DWPose exports, the same decoding the worker uses.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { depthInput, depthToMap } from './depth.ts';
import { decodeSimcc, poseInput, skeletonFromSimcc } from './pose-model.ts';
import { decodePngImage } from '../image/png.ts';
import { sharedPath } from '../test/shared-data.ts';

const bird = decodePngImage(new Uint8Array(readFileSync(sharedPath('images', 'bird.png'))));
const MODELS = 'public/models/tiny-sd15/preprocessors';

describe('model-based preprocessors', () => {
  it('makes a depth map: model input at multiples of 14, output min–max to 0–255, near = bright, at the image size', async () => {
    const input = depthInput(bird, 126);
    expect(input.dims[2]! % 14).toBe(0);
    expect(input.dims[3]! % 14).toBe(0);
    const session = await ort.InferenceSession.create(`${MODELS}/depth/model.onnx`);
    const out = await session.run({ pixel_values: new ort.Tensor('float32', input.data as Float32Array, input.dims) });
    const depth = out.predicted_depth!;
    expect(depth.dims).toEqual([1, input.dims[2], input.dims[3]]);
    const values = depth.data as Float32Array;
    const map = depthToMap(values, depth.dims[2]!, depth.dims[1]!, bird.width, bird.height);
    expect([map.width, map.height]).toEqual([bird.width, bird.height]);
    const greys = map.data.filter((_, i) => i % 4 === 0);
    expect(greys.reduce((a, b) => Math.max(a, b), 0)).toBeGreaterThanOrEqual(250);
    expect(greys.reduce((a, b) => Math.min(a, b), 255)).toBeLessThanOrEqual(5);
    // Near = bright: the largest predicted value maps to the brightest grey.
    const small = depthToMap(values, depth.dims[2]!, depth.dims[1]!, depth.dims[2]!, depth.dims[1]!);
    const argmax = values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);
    expect(small.data[argmax * 4]).toBe(255);
  });

  it('refuses NaN depth', () => {
    expect(() => depthToMap(Float32Array.of(1, NaN), 2, 1, 2, 1)).toThrow(/NaN/);
  });

  it('decodes SimCC maxima to image coordinates', () => {
    const k = 2;
    const x = new Float32Array(k * 576);
    const y = new Float32Array(k * 768);
    x[100] = 0.9; // keypoint 0 at bin 100 → x = 50 px of 288
    y[200] = 0.8; // → y = 100 px of 384
    x[576 + 10] = 0.2;
    y[768 + 20] = 0.7;
    const [a, b] = decodeSimcc(x, y, k, 576, 768);
    expect(a).toMatchObject({ x: 100, y: 200 });
    expect(a!.score).toBeCloseTo(0.8);
    expect(b!.score).toBeCloseTo(0.2);
  });

  it('runs the pose model and turns its first 17 keypoints into an OpenPose skeleton', async () => {
    const input = poseInput(bird);
    expect(input.dims).toEqual([1, 3, 384, 288]);
    const session = await ort.InferenceSession.create(`${MODELS}/pose/model.onnx`);
    const out = await session.run({ input: new ort.Tensor('float32', input.data as Float32Array, input.dims) });
    expect(out.simcc_x!.dims).toEqual([1, 133, 576]);
    expect(out.simcc_y!.dims).toEqual([1, 133, 768]);
    const skeleton = skeletonFromSimcc(out.simcc_x!.data as Float32Array, out.simcc_y!.data as Float32Array, 133, bird.width, bird.height, -Infinity);
    expect(skeleton).toHaveLength(18);
    for (const p of skeleton) {
      expect(p![0]).toBeGreaterThanOrEqual(0);
      expect(p![0]).toBeLessThan(bird.width);
      expect(p![1]).toBeLessThan(bird.height);
    }
  });
});
