// Canvas tools as small state machines (idle → active → idle), driven by pointer events
// in document pixels. They return what to show while active and what to commit at the
// end; they never touch Konva or the store, so they are tested without rendering.
import type { DocPoint, StagePoint, View } from './coords.ts';
import type { Stroke, StrokeColor } from './strokes.ts';

/** "move" drags and scales the placed image instead of drawing; "mask" and "unmask" paint the inpainting mask. */
export type ToolName = 'brush' | 'eraser' | 'line' | 'move' | 'mask' | 'unmask';

/** Strokes of these tools go to the mask layer, not the drawing. */
export const isMaskTool = (tool: ToolName) => tool === 'mask' || tool === 'unmask';

export interface ToolSettings {
  tool: ToolName;
  size: number;
  color: StrokeColor;
}

export type ToolState = { mode: 'idle' } | { mode: 'drawing'; stroke: Stroke } | { mode: 'panning'; from: StagePoint; view: View };

export const IDLE: ToolState = { mode: 'idle' };

export interface ToolStep {
  state: ToolState;
  /** A finished stroke to add to the drawing (one undo step). */
  commit?: Stroke;
}

function startStroke(settings: ToolSettings, p: DocPoint): Stroke {
  const erase = settings.tool === 'eraser' || settings.tool === 'unmask';
  return { kind: erase ? 'erase' : 'paint', color: isMaskTool(settings.tool) ? 'white' : settings.color, size: settings.size, points: [p.x, p.y] };
}

export function pointerDown(settings: ToolSettings, p: DocPoint): ToolStep {
  if (settings.tool === 'move') return { state: IDLE };
  return { state: { mode: 'drawing', stroke: startStroke(settings, p) } };
}

export function pointerMove(settings: ToolSettings, state: ToolState, p: DocPoint): ToolStep {
  if (state.mode !== 'drawing') return { state };
  const pts = state.stroke.points;
  // The line tool keeps its start and rubber-bands the end; brush and eraser follow the pointer.
  const points = settings.tool === 'line' ? [pts[0]!, pts[1]!, p.x, p.y] : [...pts, p.x, p.y];
  return { state: { mode: 'drawing', stroke: { ...state.stroke, points } } };
}

export function pointerUp(state: ToolState): ToolStep {
  if (state.mode === 'drawing') return { state: IDLE, commit: state.stroke };
  return { state: IDLE };
}

/** Space-drag (or middle button) pans whatever tool is active. */
export function panStart(view: View, at: StagePoint): ToolState {
  return { mode: 'panning', from: at, view };
}

export function panMove(state: ToolState, at: StagePoint): View | null {
  if (state.mode !== 'panning') return null;
  return { ...state.view, x: state.view.x + at.x - state.from.x, y: state.view.y + at.y - state.from.y };
}

/** Keyboard shortcuts, as in image editors: B brush, E eraser, L line, V move, M mask, U unmask. */
export const TOOL_SHORTCUTS: Record<string, ToolName> = { b: 'brush', e: 'eraser', l: 'line', v: 'move', m: 'mask', u: 'unmask' };
