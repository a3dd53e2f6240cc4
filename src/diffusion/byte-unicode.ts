// GPT-2/CLIP's reversible byte → printable-unicode table: every byte gets a visible
// character so BPE can work on strings without whitespace or control characters.

export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  const add = (from: string, to: string) => {
    for (let b = from.charCodeAt(0); b <= to.charCodeAt(0); b++) printable.push(b);
  };
  add('!', '~');
  add('¡', '¬');
  add('®', 'ÿ');
  const table = new Map<number, string>();
  for (const b of printable) table.set(b, String.fromCharCode(b));
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!table.has(b)) table.set(b, String.fromCharCode(256 + next++));
  }
  return table;
}
