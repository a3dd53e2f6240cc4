// A unit's control map, made one way for every caller: the Preview button, the pose editor and
// Generate. A map whose inputs (preprocessor, parameters, source, size, pose) have not changed
// is reused; otherwise it is made in the engine and kept as the unit's preview.
import { CancelledError } from '../engine/errors.ts';
import type { Skeleton } from '../preprocess/pose.ts';
import { controlMap, previewKey, type MapTarget } from './control-maps.ts';
import { useEngineStore } from './engine-store.ts';
import type { ControlPreview } from './run-slice.ts';
import { useStudio } from './studio-store.ts';
import type { Unit } from './units.ts';

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

function unitById(unitId: string): Unit {
  const unit = useStudio.getState().units.find((u) => u.id === unitId);
  if (!unit) throw new Error(`There is no unit ${unitId}.`);
  return unit;
}

/** Where maps are made: the generation size, on the GPU when the engine has one. */
export function mapTarget(size = useStudio.getState().settings): MapTarget {
  return { width: size.width, height: size.height, gpu: !!useEngineStore.getState().device?.gpu };
}

/** The unit's control map at `target`: its current preview when that was made from these inputs, else a new one (kept as the preview). */
export async function unitControlMap(unitId: string, target: MapTarget = mapTarget(), signal?: AbortSignal): Promise<ControlPreview> {
  const unit = unitById(unitId);
  const current = useStudio.getState().previews[unitId];
  if (current && current.key === previewKey(unit, target)) return current;
  let preview = await controlMap(useEngineStore.getState().engine, unit, target, signal);
  const studio = useStudio.getState();
  // Detected (or default) keypoints become the unit's own, for the pose editor. The map is the
  // skeleton drawn from exactly these keypoints, so it stays current for the unit as it now is.
  if (unit.preprocessor === 'openpose' && !unit.pose && preview.keypoints) {
    studio.setPose(unitId, preview.keypoints);
    preview = { ...preview, key: previewKey(unitById(unitId), target) };
  }
  studio.setPreview(unitId, preview);
  return preview;
}

/** The Preview button: the map, or the reason in the unit's error line. */
export async function previewUnit(unitId: string): Promise<ControlPreview | null> {
  useStudio.getState().setUnitError(unitId, null);
  try {
    return await unitControlMap(unitId);
  } catch (err) {
    if (!(err instanceof CancelledError)) useStudio.getState().setUnitError(unitId, `Preview failed: ${text(err)}`);
    return null;
  }
}

/** The pose editor moved a joint: the unit's keypoints change and its skeleton map is drawn again. */
export async function editPose(unitId: string, pose: Skeleton[]): Promise<ControlPreview | null> {
  useStudio.getState().setPose(unitId, pose);
  return previewUnit(unitId);
}
