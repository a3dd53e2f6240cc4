// The ONNX models behind the model-based preprocessors. The real ones are downloaded by
// the user's browser; the tiny stand-ins (same I/O) ship with the generated tiny set.
// Sizes and hashes are filled in where verified; until then, null.

export interface PreprocessorModel {
  id: 'depth-anything-v2-small' | 'dwpose-ll-ucoco-384' | 'segformer-b0-ade' | 'tiny-depth' | 'tiny-pose' | 'tiny-seg';
  kind: 'depth' | 'pose' | 'seg';
  url: string;
  dtype: 'fp32' | 'fp16';
  size: number | null;
  sha256: string | null;
  /** What the model expects and returns, for the contract and the README. */
  io: string;
}

export const PREPROCESSOR_MODELS: PreprocessorModel[] = [
  {
    id: 'depth-anything-v2-small',
    kind: 'depth',
    url: 'https://huggingface.co/onnx-community/depth-anything-v2-small/resolve/main/onnx/model.onnx',
    dtype: 'fp32',
    size: null,
    sha256: null,
    io: 'pixel_values float32 [1, 3, H, W] (ImageNet-normalised, sides multiple of 14) → predicted_depth [1, H, W]',
  },
  {
    id: 'dwpose-ll-ucoco-384',
    kind: 'pose',
    url: 'https://huggingface.co/yzd-v/DWPose/resolve/main/dw-ll_ucoco_384.onnx',
    dtype: 'fp32',
    size: null,
    sha256: null,
    io: 'input float32 [1, 3, 384, 288] → simcc_x [1, 133, 576], simcc_y [1, 133, 768]',
  },
  {
    id: 'segformer-b0-ade',
    kind: 'seg',
    url: 'https://huggingface.co/Xenova/segformer-b0-finetuned-ade-512-512/resolve/main/onnx/model.onnx',
    dtype: 'fp32',
    size: null,
    sha256: null,
    io: 'pixel_values float32 [1, 3, 512, 512] (ImageNet-normalised) → logits [1, 150, 128, 128] (ADE20K classes)',
  },
  { id: 'tiny-depth', kind: 'depth', url: 'models/tiny-sd15/preprocessors/depth/model.onnx', dtype: 'fp32', size: null, sha256: null, io: 'as depth-anything-v2-small' },
  { id: 'tiny-pose', kind: 'pose', url: 'models/tiny-sd15/preprocessors/pose/model.onnx', dtype: 'fp32', size: null, sha256: null, io: 'as dwpose-ll-ucoco-384' },
  { id: 'tiny-seg', kind: 'seg', url: 'models/tiny-sd15/preprocessors/seg/model.onnx', dtype: 'fp32', size: null, sha256: null, io: 'as segformer-b0-ade' },
];
