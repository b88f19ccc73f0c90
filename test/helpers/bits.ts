/** The raw bytes of a typed array (a view on its own range of the buffer): what "bit for bit" compares. */
export const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** True when two arrays hold the same bytes: equal lengths and every float's bit pattern the same (NaN payloads and −0 included). */
export const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean => bytesOf(a).equals(bytesOf(b));
