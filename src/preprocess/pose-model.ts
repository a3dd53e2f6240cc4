// Pose estimation with a DWPose / RTMPose (SimCC) model on the whole image: input
// [1, 3, 384, 288] normalised with mmpose's RGB mean/std, outputs simcc_x / simcc_y
// (bins at 2× the input resolution). The first 17 keypoints are COCO's body; they
// become an OpenPose-18 skeleton.
import type { TensorData } from '../diffusion/tensor.ts';
import { resize, type Rgba } from './image-ops.ts';
import { cocoToOpenPose, type Skeleton } from './pose.ts';

export const POSE_INPUT = { width: 288, height: 384 };
const SPLIT = 2;
const MEAN = [123.675, 116.28, 103.53];
const STD = [58.395, 57.12, 57.375];

export function poseInput(image: Rgba): TensorData {
  const { width: w, height: h } = POSE_INPUT;
  const small = resize(image, w, h);
  const plane = w * h;
  const data = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) data[c * plane + p] = (small.data[p * 4 + c]! - MEAN[c]!) / STD[c]!;
  return { type: 'float32', dims: [1, 3, h, w], data };
}

/** SimCC decoding (mmpose get_simcc_maximum): argmax per axis, score = the smaller maximum. */
export function decodeSimcc(simccX: Float32Array, simccY: Float32Array, keypoints: number, imageWidth: number, imageHeight: number): { x: number; y: number; score: number }[] {
  const binsX = simccX.length / keypoints;
  const binsY = simccY.length / keypoints;
  const argmax = (a: Float32Array, start: number, n: number) => {
    let best = start;
    for (let i = start + 1; i < start + n; i++) if (a[i]! > a[best]!) best = i;
    return [best - start, a[best]!] as const;
  };
  const sx = imageWidth / POSE_INPUT.width;
  const sy = imageHeight / POSE_INPUT.height;
  return Array.from({ length: keypoints }, (_, k) => {
    const [bx, vx] = argmax(simccX, k * binsX, binsX);
    const [by, vy] = argmax(simccY, k * binsY, binsY);
    return { x: (bx / SPLIT) * sx, y: (by / SPLIT) * sy, score: Math.min(vx, vy) };
  });
}

/** One person from the whole image; keypoints below `minScore` are left out. */
export function skeletonFromSimcc(simccX: Float32Array, simccY: Float32Array, keypoints: number, imageWidth: number, imageHeight: number, minScore = 0.3): Skeleton {
  return cocoToOpenPose(decodeSimcc(simccX, simccY, keypoints, imageWidth, imageHeight).slice(0, 17), minScore);
}
