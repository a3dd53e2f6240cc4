// An image the person uploads, drops or pastes becomes the selected unit's source (a new
// unit if there is none). A file that is not a usable image is refused with the reason,
// and nothing else changes.
import { decodeImageFile } from '../canvas/image-file.ts';
import { useEngineStore } from './engine-store.ts';
import { studioRecords } from './studio-records.ts';
import { useStudio } from './studio-store.ts';

export async function uploadImage(file: File): Promise<boolean> {
  const studio = useStudio.getState();
  try {
    const { image, notice } = await decodeImageFile(file, file.name || 'The pasted file');
    let unitId = studio.selectedUnitId;
    if (!unitId || !studio.units.some((u) => u.id === unitId)) {
      studio.addUnit(useEngineStore.getState().controlnets ?? []);
      unitId = useStudio.getState().selectedUnitId!;
    }
    // The file is stored before the canvas shows it, and the unit's record right after.
    const imageId = `img-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    await studioRecords.put('images', imageId, file);
    useStudio.getState().placeImage(unitId, { blob: file, imageId, name: file.name || 'pasted image', width: image.width, height: image.height, x: 0, y: 0, scale: 1 });
    useStudio.getState().setRun({ inputError: notice });
    await studioRecords.flush();
    return true;
  } catch (err) {
    useStudio.getState().setRun({ inputError: `Upload refused: ${err instanceof Error ? err.message : String(err)}` });
    return false;
  }
}

/** The first file in a drop or paste, or null (with the reason shown) when there is none. */
export function firstFile(list: FileList | null | undefined): File | null {
  const file = list?.[0] ?? null;
  if (!file) useStudio.getState().setRun({ inputError: 'Nothing to upload: drop or paste an image file.' });
  return file;
}
