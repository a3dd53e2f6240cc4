// The pose editor's write-back: a dragged joint updates the unit's keypoints, and the
// skeleton map re-renders (on the main thread: drawing 18 joints is cheap).
import type { Skeleton } from '../preprocess/pose.ts';
import { controlMap } from '../state/control-maps.ts';
import { useEngineStore } from '../state/engine-store.ts';
import { useStudio } from '../state/studio-store.ts';
import type { Unit } from '../state/units.ts';

export async function updatePose(unit: Unit, pose: Skeleton[]): Promise<void> {
  const studio = useStudio.getState();
  studio.setPose(unit.id, pose);
  const { width, height } = studio.settings;
  const preview = await controlMap(useEngineStore.getState().engine, { ...unit, pose }, { width, height, gpu: false });
  useStudio.getState().setPreview(unit.id, preview);
}
