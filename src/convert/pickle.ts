// A pickle reader that rebuilds data, never code. It walks the opcodes torch.save writes
// and builds dicts, lists, tuples, numbers, strings and tensor references. A pickle names
// Python callables by "module.name" (GLOBAL); the few that only rebuild data are modelled
// in pickle-globals.ts, and any other name — os.system, eval, a class to instantiate — stops the read with
// an error that says so. Nothing from the file is ever executed.
import { CheckpointError } from './errors.ts';
import { DATA_GLOBALS, rebuild, persistent, type DataGlobal, type PickleValue, type TensorRef } from './pickle-globals.ts';

export type { PickleValue, StorageRef, TensorRef } from './pickle-globals.ts';

const MARK = Symbol('mark');
/** Python ints in checkpoints are sizes, offsets, counters and seeds: 8 bytes at most, 32 to leave room. */
const MAX_LONG_BYTES = 32;
type StackItem = PickleValue | typeof MARK;

export function isTensorRef(v: unknown): v is TensorRef {
  return typeof v === 'object' && v !== null && (v as TensorRef).kind === 'tensor';
}

/**
 * Reads a pickle. `file` names it in errors. Persistent ids (torch's storages) become
 * StorageRefs; the caller reads their bytes from the zip.
 */
export function readPickle(bytes: Uint8Array, file: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const fail = (why: string): never => {
    throw new CheckpointError(`${file} could not be read: ${why} (at byte ${pos} of its pickle). It may be damaged, or not a PyTorch checkpoint; a .safetensors copy of it would work.`);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('the pickle ends early');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(bytes.length)) fail('a length runs past the end');
    return Number(v);
  };
  const take = (n: number) => (need(n), bytes.subarray((pos += n) - n, pos));
  const text = (n: number) => new TextDecoder().decode(take(n));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('a text line never ends');
    const s = new TextDecoder().decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail('the stack is empty');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) fail('a MARK is missing');
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('the stack is empty');
    return v;
  };
  const global = (module: string, name: string): DataGlobal => {
    const full = `${module}.${name}`;
    if (!DATA_GLOBALS.has(full)) {
      throw new CheckpointError(
        `${file} asks to run Python code: its pickle references ${full}, which is not tensor data. Only tensors and plain containers are read from .ckpt/.pth files and nothing in them is executed, so this file is refused. If you trust it, convert it to .safetensors first.`,
      );
    }
    return { kind: 'global', name: full };
  };
  // Little-endian two's complement, decoded in one pass (hex digits, then one BigInt). Wider than
  // MAX_LONG_BYTES is no number a checkpoint holds: a crafted megabyte integer is refused, not parsed.
  const long = (size: number): number | bigint => {
    if (size > MAX_LONG_BYTES) fail(`an integer ${size} bytes wide, which no checkpoint value is`);
    const b = take(size);
    if (!b.length) return 0;
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: PickleValue, items: PickleValue[]) => {
    if (!(target instanceof Map)) fail('SETITEMS on something that is not a dict');
    for (let i = 0; i + 1 < items.length; i += 2) (target as Map<PickleValue, PickleValue>).set(items[i]!, items[i + 1]!);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x8f: // EMPTY_SET
        stack.push([]);
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(u8()));
        break;
      case 0x8b: // LONG4
        stack.push(long(u32()));
        break;
      case 0x47: // BINFLOAT (big-endian double)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(text(u64()));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(text(u8()));
        break;
      case 0x54: // BINSTRING
        stack.push(text(u32()));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x8e: // BINBYTES8
        stack.push(take(u64()).slice());
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) fail(`memo entry ${index} is missing`);
        stack.push(memo.get(index)!);
        break;
      }
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const list = top();
        if (!Array.isArray(list)) fail('APPEND to something that is not a list');
        (list as PickleValue[]).push(v);
        break;
      }
      case 0x65: // APPENDS
      case 0x90: {
        // ADDITEMS (sets are read as lists)
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) fail('APPENDS to something that is not a list');
        // One by one: spreading a huge list into push() overflows the call stack.
        for (const item of items) (list as PickleValue[]).push(item);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const d = new Map<PickleValue, PickleValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL without names');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const fn = pop();
        stack.push(rebuild(fn, args, fail));
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push(rebuild(cls, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state). On data (a state dict's _metadata, a numpy dtype's flags) the state is dropped.
        pop();
        const obj = top();
        if (typeof obj === 'object' && obj !== null && (obj as DataGlobal).kind === 'global') fail('BUILD on a function');
        break;
      }
      case 0x51: {
        // BINPERSID: torch's storage reference ('storage', StorageType, key, location, numel)
        const pid = pop();
        stack.push(persistent(pid, fail));
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16)} is not one torch.save writes`);
    }
  }
}
