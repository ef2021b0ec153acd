/**
 * The few pieces of the WebAssembly binary format that the kit's hand-written kernels
 * (`wasm-bmm.ts`, `wasm-simd-kernels.ts`) need to assemble a module as bytes: LEB128 integers,
 * sections, names, vectors and f32 constants. Spec: https://webassembly.github.io/spec/core/binary/.
 *
 * @module
 */

/** Unsigned LEB128 encoding of a non-negative integer (sizes, indices, counts). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 encoding of a 32-bit integer (`i32.const` operands, memory offsets). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A section: its id, its byte length, its body. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
/** A name (ASCII only here): its length, its bytes. */
export const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
/** A vector of encoded items: the count, then the items. */
export const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** The 4 little-endian bytes of an f32 constant. */
export const f32bytes = (x: number): number[] => Array.from(new Uint8Array(new Float32Array([x]).buffer));
