// The one StudioRecords of the studio (IndexedDB, one record per thing a person made) and the
// save state the header shows. A store of its own: the record writes follow every change to
// the studio store, so keeping the save state there would make each report cause a write.
import { create } from 'zustand';
import type { ToolSettings } from '../canvas/tools.ts';
import type { RemoteSet } from '../models/manifest.ts';
import { openRecordStores, StudioRecords, type SaveState } from './persistence.ts';
import type { Settings } from './settings.ts';

/** The settings record: everything persisted that is not a unit or a gallery image. */
export interface SettingsRecord {
  settings: Settings;
  tools: ToolSettings;
  overlayOpacity: number;
  customSets: RemoteSet[];
  selectedUnitId: string | null;
  /** Units are records of their own; this keeps their order. */
  unitOrder: string[];
}

export const useSaveState = create<{ save: SaveState }>()(() => ({ save: { kind: 'saved' } }));

export const studioRecords = new StudioRecords<SettingsRecord>(openRecordStores(), (save) => {
  const now = useSaveState.getState().save;
  if (now.kind !== save.kind || save.kind === 'failed') useSaveState.setState({ save });
});
