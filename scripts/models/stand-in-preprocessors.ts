// Tiny stand-ins for the preprocessors' ONNX models, with the real models' I/O:
// - depth: Depth Anything V2 small (onnx-community export): pixel_values [B, 3, H, W] → predicted_depth [B, H, W]
// - pose: DWPose / RTMPose whole-body (dw-ll_ucoco_384): input [1, 3, 384, 288] → simcc_x [1, 133, 576], simcc_y [1, 133, 768]
// - seg: SegFormer ADE20K (Xenova/segformer-b0-finetuned-ade-512-512): pixel_values [B, 3, H, W] → logits [B, 150, H/4, W/4]
import { ModelGraph } from '../../src/convert/model-graph.ts';
import { conv2d, gemm } from '../../src/convert/layers.ts';

export function buildDepthModel(): ModelGraph {
  const g = new ModelGraph('depth', 'float32');
  const x = g.input('pixel_values', 'float32', ['batch', 3, 'height', 'width']);
  const relu = (t: string) => g.op1('Relu', [t]);
  let h = relu(conv2d(g, x, 'conv1', 3, 8, 3, { stride: 2 }));
  h = relu(conv2d(g, h, 'conv2', 8, 8, 3));
  h = conv2d(g, h, 'head', 8, 1, 3);
  // Back to the input size, like the real model's DPT head.
  const up = g.op1('Resize', [h, '', g.floatConst([1, 1, 2, 2], [4])], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  // Relative inverse depth is positive, larger = nearer.
  const depth = g.op1('Squeeze', [g.op1('Softplus', [up]), g.int64Const([1])]);
  g.output(depth, 'predicted_depth', 'float32', ['batch', 'height', 'width']);
  return g;
}

export const POSE_INPUT = { width: 288, height: 384 };
export const POSE_KEYPOINTS = 133;
export const SIMCC_SPLIT = 2;

export function buildPoseModel(): ModelGraph {
  const g = new ModelGraph('pose', 'float32');
  const x = g.input('input', 'float32', [1, 3, POSE_INPUT.height, POSE_INPUT.width]);
  let h = g.op1('Relu', [conv2d(g, x, 'conv1', 3, 8, 3, { stride: 4, pads: [1, 1, 1, 1] })]);
  h = g.op1('Relu', [conv2d(g, h, 'conv2', 8, 16, 3, { stride: 4, pads: [1, 1, 1, 1] })]);
  const pooled = g.op1('Flatten', [g.op1('GlobalAveragePool', [h])], { axis: 1 });
  // Per-keypoint features, then a linear classifier over the SimCC bins of each axis (RTMPose's head).
  const features = g.op1('Reshape', [gemm(g, pooled, 'features', 16, POSE_KEYPOINTS * 4), g.int64Const([1, POSE_KEYPOINTS, 4])]);
  const bins = (n: number, name: string) => g.output(g.op1('MatMul', [features, g.param(`${name}.weight`, [4, n], { kind: 'normal', std: 1 })]), name, 'float32', [1, POSE_KEYPOINTS, n]);
  bins(POSE_INPUT.width * SIMCC_SPLIT, 'simcc_x');
  bins(POSE_INPUT.height * SIMCC_SPLIT, 'simcc_y');
  return g;
}

/** SegFormer's I/O: logits for ADE20K's 150 classes at a quarter of the input's size. */
export function buildSegModel(): ModelGraph {
  const g = new ModelGraph('seg', 'float32');
  const x = g.input('pixel_values', 'float32', ['batch', 3, 'height', 'width']);
  const h = g.op1('Relu', [conv2d(g, x, 'stem', 3, 16, 3, { stride: 2 })]);
  const logits = conv2d(g, h, 'classifier', 16, 150, 3, { stride: 2, gain: 4 });
  g.output(logits, 'logits', 'float32', ['batch', 150, 'height/4', 'width/4']);
  return g;
}
