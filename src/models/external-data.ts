// Which external weight files an ONNX graph names. A tensor stored outside the graph carries
// an external_data entry {key: "location", value: "<file>"}; in protobuf that is the bytes
// 0x0a 0x08 "location" 0x12 <varint length> <file>. Scanning for them avoids parsing a
// multi-GB protobuf, and is only done when a session failed to load, to say which file is missing.

const KEY = [0x0a, 0x08, ...new TextEncoder().encode('location'), 0x12];

export function externalDataReferences(graph: Uint8Array): string[] {
  const found = new Set<string>();
  const decoder = new TextDecoder();
  let at = graph.indexOf(KEY[0]!);
  while (at >= 0 && at + KEY.length < graph.length) {
    let match = true;
    for (let k = 1; k < KEY.length && match; k++) match = graph[at + k] === KEY[k];
    if (match) {
      let p = at + KEY.length;
      let length = 0;
      for (let shift = 0; p < graph.length && shift < 35; shift += 7) {
        const b = graph[p++]!;
        length |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
      }
      if (length > 0 && length < 4096 && p + length <= graph.length) found.add(decoder.decode(graph.subarray(p, p + length)));
    }
    at = graph.indexOf(KEY[0]!, at + 1);
  }
  return [...found];
}
