/**
 * A Go `encoding/gob` codec for the few shapes scf-go-lib's net/rpc messages use (https://pkg.go.dev/encoding/gob):
 * bool, signed and unsigned integers, strings, byte slices, structs, slices and pointers (which gob flattens).
 *
 * Gob is stateful per stream: each side sends a type's definition once, before the first value of that type,
 * and the receiver keeps it for the rest of the connection. So one `GobEncoder` and one `GobDecoder` belong to
 * one connection each, and must see every message of it in order.
 *
 * Values are described by local schemas built with `gob.*`. Decoding follows gob's rules: struct fields are
 * matched by name (the peer's type names and field order do not matter), fields the schema lacks are skipped,
 * fields the peer omitted (gob never sends zero values) are zero.
 */

/** Type ids every gob stream knows without a definition (encoding/gob doc.go, "Encoding Details"). */
const enum BuiltinId {
  Bool = 1,
  Int = 2,
  Uint = 3,
  Float = 4,
  Bytes = 5,
  String = 6,
  Complex = 7,
  Interface = 8,
  WireType = 16,
  ArrayType = 17,
  CommonType = 18,
  SliceType = 19,
  StructType = 20,
  FieldType = 21,
  FieldTypeSlice = 22,
  MapType = 23,
  /**
   * Not a number the doc fixes: the definition of a GobEncoder type is a bare CommonType, and type definitions
   * are decoded with the built-in table only, so any id below the first user id serves.
   */
  GobEncoderType = 24,
}

/** Go's encoder hands out ids above 64; its decoder rejects definitions below that ("duplicate type received"). */
const FIRST_USER_TYPE_ID = 65;

/** A gob unsigned integer takes a count byte and at most 8 bytes of value. */
const MAX_UINT_BYTES = 9;

/** Go's sanity limit for one message on 32-bit hosts (encoding/gob decoder.go `tooBig`; 8 GiB on 64-bit). */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 30;

export class GobError extends Error {
  constructor(message: string) {
    super(`gob: ${message}`);
    this.name = 'GobError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Local schemas

export interface GobBoolType {
  readonly kind: 'bool';
}
/** Any Go signed integer (int, int8 … int64): gob does not tell them apart. */
export interface GobIntType {
  readonly kind: 'int';
}
/** Any Go unsigned integer except byte slices' elements. */
export interface GobUintType {
  readonly kind: 'uint';
}
/** `[]byte`, which gob sends as a counted run of bytes. */
export interface GobBytesType {
  readonly kind: 'bytes';
}
export interface GobStringType {
  readonly kind: 'string';
}
export interface GobStructType<F extends Record<string, GobType> = Record<string, GobType>> {
  readonly kind: 'struct';
  /** Sent in the definition for the peer's error messages only: gob matches structs by field names. */
  readonly name: string;
  /** Field names in Go declaration order; they must be exported (capitalised) Go names. */
  readonly fields: F;
}
export interface GobSliceType<E extends GobType = GobType> {
  readonly kind: 'slice';
  readonly name: string;
  readonly elem: E;
}
/** A Go pointer: gob sends the value pointed to; a nil pointer field is omitted and decodes as `null`. */
export interface GobPointerType<E extends GobType = GobType> {
  readonly kind: 'pointer';
  readonly elem: E;
}

export type GobType =
  | GobBoolType
  | GobIntType
  | GobUintType
  | GobBytesType
  | GobStringType
  | GobStructType
  | GobSliceType
  | GobPointerType;

/**
 * The JavaScript value a decoder produces for a schema. Integers are numbers within the safe range.
 * Slice elements are never null: gob has no way to send a nil pointer inside a slice.
 * A part known only as "some GobType" (a generic's constraint) maps to `unknown`: spelling it out would
 * recurse without end, since a pointer to any type is itself any type.
 */
export type GobValue<T extends GobType> = T extends GobBoolType
  ? boolean
  : T extends GobIntType | GobUintType
    ? number
    : T extends GobBytesType
      ? Uint8Array
      : T extends GobStringType
        ? string
        : T extends GobStructType<infer F>
          ? Record<string, GobType> extends F
            ? unknown
            : { [K in keyof F]: GobValue<F[K]> }
          : T extends GobSliceType<infer E>
            ? GobType extends E
              ? unknown
              : NonNullable<GobValue<E>>[]
            : T extends GobPointerType<infer E>
              ? GobType extends E
                ? unknown
                : GobValue<E> | null
              : never;

/** What an encoder accepts for a schema: struct fields may be left out (they are then zero, as in Go). */
export type GobInput<T extends GobType> = T extends GobBoolType
  ? boolean
  : T extends GobIntType | GobUintType
    ? number | bigint
    : T extends GobBytesType
      ? Uint8Array
      : T extends GobStringType
        ? string
        : T extends GobStructType<infer F>
          ? Record<string, GobType> extends F
            ? unknown
            : { [K in keyof F]?: GobInput<F[K]> }
          : T extends GobSliceType<infer E>
            ? GobType extends E
              ? unknown
              : readonly NonNullable<GobInput<E>>[]
            : T extends GobPointerType<infer E>
              ? GobType extends E
                ? unknown
                : GobInput<E> | null
              : never;

/** Schema builders: `gob.struct('Point', { X: gob.int, Y: gob.int })`. */
export const gob = {
  bool: { kind: 'bool' } as GobBoolType,
  int: { kind: 'int' } as GobIntType,
  uint: { kind: 'uint' } as GobUintType,
  bytes: { kind: 'bytes' } as GobBytesType,
  string: { kind: 'string' } as GobStringType,
  struct<F extends Record<string, GobType>>(name: string, fields: F): GobStructType<F> {
    for (const field of Object.keys(fields)) {
      if (!/^\p{Lu}/u.test(field)) throw new GobError(`field ${name}.${field} is not an exported Go name`);
    }
    return { kind: 'struct', name, fields };
  },
  slice<E extends GobType>(elem: E, name = ''): GobSliceType<E> {
    return { kind: 'slice', name, elem };
  },
  pointer<E extends GobType>(elem: E): GobPointerType<E> {
    return { kind: 'pointer', elem };
  },
} as const;

function pointee(type: GobType): Exclude<GobType, GobPointerType> {
  let t = type;
  while (t.kind === 'pointer') t = t.elem;
  return t;
}

function describe(type: GobType): string {
  switch (type.kind) {
    case 'struct':
      return `struct ${type.name || '{…}'}`;
    case 'slice':
      return `[]${describe(type.elem)}`;
    case 'pointer':
      return `*${describe(type.elem)}`;
    default:
      return type.kind;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

class ByteWriter {
  #buf: Buffer;
  #len: number;

  /** `reserve` bytes are left free at the front so a length prefix can be put there without a copy. */
  constructor(reserve: number, capacity = 256) {
    this.#buf = Buffer.allocUnsafe(Math.max(capacity, reserve + 16));
    this.#len = reserve;
  }

  #ensure(extra: number): void {
    if (this.#len + extra <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + extra));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  get length(): number {
    return this.#len;
  }

  uint(value: number | bigint): void {
    this.#ensure(MAX_UINT_BYTES);
    this.#len = writeUint(this.#buf, this.#len, value);
  }

  int(value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && Math.abs(value) < 2 ** 52) {
      // Bit 0 says "complement the rest": keeps the most negative value from being a special case.
      this.uint(value < 0 ? (-value - 1) * 2 + 1 : value * 2);
      return;
    }
    const big = BigInt(value);
    if (big >= 2n ** 63n || big < -(2n ** 63n)) throw new GobError(`integer ${big} does not fit in 64 bits`);
    this.uint(big < 0n ? ((-big - 1n) << 1n) | 1n : big << 1n);
  }

  bytes(value: Uint8Array): void {
    this.uint(value.length);
    this.#ensure(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
  }

  string(value: string): void {
    const size = Buffer.byteLength(value, 'utf8');
    this.uint(size);
    this.#ensure(size);
    this.#len += this.#buf.write(value, this.#len, 'utf8');
  }

  /** The bytes written after the reserved front, preceded by their length as a gob unsigned integer. */
  framed(reserve: number): Buffer {
    const prefix = Buffer.allocUnsafe(MAX_UINT_BYTES);
    const prefixLen = writeUint(prefix, 0, this.#len - reserve);
    const start = reserve - prefixLen;
    prefix.copy(this.#buf, start, 0, prefixLen);
    return this.#buf.subarray(start, this.#len);
  }
}

/** Writes `value` as a gob unsigned integer at `offset`; returns the offset after it. */
function writeUint(buf: Buffer, offset: number, value: number | bigint): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      if (Number.isInteger(value) && value > 0) return writeUint(buf, offset, BigInt(value));
      throw new GobError(`${value} is not an unsigned integer`);
    }
    if (value < 0x80) {
      buf[offset] = value;
      return offset + 1;
    }
    let n = 0;
    for (let v = value; v > 0; v = Math.floor(v / 256)) n++;
    buf[offset] = 256 - n;
    for (let i = n, v = value; i > 0; i--, v = Math.floor(v / 256)) buf[offset + i] = v % 256;
    return offset + n + 1;
  }
  if (value < 0n || value >= 2n ** 64n) throw new GobError(`${value} does not fit in 64 unsigned bits`);
  if (value < 0x80n) {
    buf[offset] = Number(value);
    return offset + 1;
  }
  let n = 0;
  for (let v = value; v > 0n; v >>= 8n) n++;
  buf[offset] = 256 - n;
  for (let i = n, v = value; i > 0; i--, v >>= 8n) buf[offset + i] = Number(v & 0xffn);
  return offset + n + 1;
}

/** Gob omits struct fields holding their type's zero value; nested structs are always sent (as Go does). */
function isOmitted(type: GobType, value: unknown): boolean {
  if (value === undefined || value === null) return type.kind !== 'struct';
  switch (type.kind) {
    case 'bool':
      return value === false;
    case 'int':
    case 'uint':
      return value === 0 || value === 0n;
    case 'string':
      return value === '';
    case 'bytes':
    case 'slice':
      return (value as { length: number }).length === 0;
    default:
      return false;
  }
}

/**
 * Encodes values for one gob stream. Each `encode` returns the bytes of one Go `Encoder.Encode` call: the
 * definitions of types this stream has not carried yet, each its own message, then the value's message.
 * The bytes must be written to the stream, in order, before the next `encode`'s: the encoder counts the
 * definitions as sent once `encode` returns.
 */
export class GobEncoder {
  /** Type id of each schema whose definition is on the stream. */
  #sent = new Map<GobType, number>();
  #nextId = FIRST_USER_TYPE_ID;

  encode<T extends GobType>(type: T, value: GobInput<T>): Buffer;
  encode(type: GobType, input: unknown): Buffer {
    // Definitions made for this call are committed only if the value encodes: a caller that catches the
    // error and writes nothing must not leave the stream one definition short.
    const pending = new Map<GobType, number>();
    const messages: Buffer[] = [];
    const top = pointee(type);
    // Go panics on a nil pointer at the top: there is no way to say "nothing" outside a struct field.
    if (input === null || input === undefined) throw new GobError(`cannot encode a nil ${describe(type)}`);
    const id = this.#define(top, pending, messages);

    const writer = new ByteWriter(MAX_UINT_BYTES);
    writer.int(id);
    if (top.kind === 'struct') {
      this.#struct(writer, top, input as Record<string, unknown>, pending);
    } else {
      // A non-struct value travels as a one-field struct without the end mark: delta 0, then the value.
      writer.uint(0);
      this.#value(writer, top, input, pending);
    }
    messages.push(writer.framed(MAX_UINT_BYTES));

    for (const [t, tid] of pending) this.#sent.set(t, tid);
    this.#nextId += pending.size;
    return messages.length === 1 ? messages[0]! : Buffer.concat(messages);
  }

  #idOf(type: GobType, pending: Map<GobType, number>): number {
    const t = pointee(type);
    switch (t.kind) {
      case 'bool':
        return BuiltinId.Bool;
      case 'int':
        return BuiltinId.Int;
      case 'uint':
        return BuiltinId.Uint;
      case 'bytes':
        return BuiltinId.Bytes;
      case 'string':
        return BuiltinId.String;
      default: {
        const id = this.#sent.get(t) ?? pending.get(t);
        if (id === undefined) throw new GobError(`type ${describe(t)} used before its definition`);
        return id;
      }
    }
  }

  /** Queues the definitions `type` needs, innermost first (Go sends the outer one first; both are valid). */
  #define(type: GobType, pending: Map<GobType, number>, out: Buffer[]): number {
    const t = pointee(type);
    if (t.kind !== 'struct' && t.kind !== 'slice') return this.#idOf(t, pending);
    const known = this.#sent.get(t) ?? pending.get(t);
    if (known !== undefined) return known;

    if (t.kind === 'struct') {
      for (const field of Object.values(t.fields)) this.#define(field, pending, out);
    } else {
      this.#define(t.elem, pending, out);
    }
    const id = this.#nextId + pending.size;
    pending.set(t, id);

    // A definition is the pair (-id, wireType{…}); the wireType value is encoded by hand here because its
    // own type (id 16) is known to every decoder and never defined on the stream.
    const w = new ByteWriter(MAX_UINT_BYTES);
    w.int(-id);
    w.uint(t.kind === 'struct' ? 3 : 2); // wireType field 2 (StructT) or 1 (SliceT)
    w.uint(1); // field 0: the embedded CommonType
    if (t.name !== '') {
      w.uint(1); // CommonType.Name
      w.string(t.name);
    }
    w.uint(t.name !== '' ? 1 : 2); // CommonType.Id, a delta of 2 when the empty Name was left out
    w.int(id);
    w.uint(0); // end of CommonType
    if (t.kind === 'struct') {
      const fields = Object.entries(t.fields);
      if (fields.length > 0) {
        w.uint(1); // structType.Field
        w.uint(fields.length);
        for (const [name, fieldType] of fields) {
          w.uint(1); // fieldType.Name
          w.string(name);
          w.uint(1); // fieldType.Id
          w.int(this.#idOf(fieldType, pending));
          w.uint(0);
        }
      }
    } else {
      w.uint(1); // sliceType.Elem
      w.int(this.#idOf(t.elem, pending));
    }
    w.uint(0); // end of structType / sliceType
    w.uint(0); // end of wireType
    out.push(w.framed(MAX_UINT_BYTES));
    return id;
  }

  #struct(w: ByteWriter, type: GobStructType, value: Record<string, unknown>, pending: Map<GobType, number>): void {
    if (typeof value !== 'object' || value === null) throw new GobError(`expected an object for ${describe(type)}`);
    let last = -1;
    let index = 0;
    for (const [name, fieldType] of Object.entries(type.fields)) {
      const fieldValue = value[name];
      if (!isOmitted(fieldType, fieldValue)) {
        w.uint(index - last);
        last = index;
        this.#value(w, pointee(fieldType), fieldValue ?? {}, pending);
      }
      index++;
    }
    w.uint(0);
  }

  #value(w: ByteWriter, type: GobType, value: unknown, pending: Map<GobType, number>): void {
    switch (type.kind) {
      case 'bool':
        if (typeof value !== 'boolean') throw new GobError(`expected a boolean, got ${typeof value}`);
        w.uint(value ? 1 : 0);
        return;
      case 'int':
      case 'uint':
        if (typeof value !== 'number' && typeof value !== 'bigint') {
          throw new GobError(`expected an integer, got ${typeof value}`);
        }
        if (typeof value === 'number' && !Number.isInteger(value)) throw new GobError(`${value} is not an integer`);
        if (type.kind === 'int') w.int(value);
        else w.uint(value);
        return;
      case 'string':
        if (typeof value !== 'string') throw new GobError(`expected a string, got ${typeof value}`);
        w.string(value);
        return;
      case 'bytes':
        if (!(value instanceof Uint8Array)) throw new GobError(`expected a Uint8Array, got ${typeof value}`);
        w.bytes(value);
        return;
      case 'struct':
        this.#struct(w, type, value as Record<string, unknown>, pending);
        return;
      case 'slice': {
        if (!Array.isArray(value)) throw new GobError(`expected an array for ${describe(type)}`);
        w.uint(value.length);
        const elem = pointee(type.elem);
        for (const item of value) {
          // Go refuses nil pointers inside slices ("encodeArray: nil element"); so do we.
          if (item === null || item === undefined) throw new GobError(`nil element in ${describe(type)}`);
          this.#value(w, elem, item, pending);
        }
        return;
      }
      case 'pointer':
        this.#value(w, pointee(type), value, pending);
        return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/** A type as the peer defined it on the stream. */
type WireType =
  | { readonly kind: 'builtin'; readonly id: BuiltinId }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly WireField[] }
  | { readonly kind: 'slice'; readonly name: string; readonly elem: number }
  | { readonly kind: 'array'; readonly name: string; readonly elem: number; readonly len: number }
  | { readonly kind: 'map'; readonly name: string; readonly key: number; readonly elem: number }
  /** GobEncoder, BinaryMarshaler and TextMarshaler values: counted bytes whose meaning only Go knows. */
  | { readonly kind: 'opaque'; readonly name: string };

interface WireField {
  readonly name: string;
  readonly id: number;
}

function wireStruct(fields: Record<string, number>): WireType {
  return { kind: 'struct', name: '', fields: Object.entries(fields).map(([name, id]) => ({ name, id })) };
}

/** The types every stream knows, including those describing type definitions themselves (encoding/gob type.go). */
const BUILTIN_WIRE_TYPES: ReadonlyMap<number, WireType> = new Map<number, WireType>([
  ...[1, 2, 3, 4, 5, 6, 7, 8].map((id): [number, WireType] => [id, { kind: 'builtin', id }]),
  [BuiltinId.CommonType, wireStruct({ Name: BuiltinId.String, Id: BuiltinId.Int })],
  [BuiltinId.ArrayType, wireStruct({ CommonType: BuiltinId.CommonType, Elem: BuiltinId.Int, Len: BuiltinId.Int })],
  [BuiltinId.SliceType, wireStruct({ CommonType: BuiltinId.CommonType, Elem: BuiltinId.Int })],
  [BuiltinId.StructType, wireStruct({ CommonType: BuiltinId.CommonType, Field: BuiltinId.FieldTypeSlice })],
  [BuiltinId.FieldType, wireStruct({ Name: BuiltinId.String, Id: BuiltinId.Int })],
  [BuiltinId.FieldTypeSlice, { kind: 'slice', name: '', elem: BuiltinId.FieldType }],
  [BuiltinId.MapType, wireStruct({ CommonType: BuiltinId.CommonType, Key: BuiltinId.Int, Elem: BuiltinId.Int })],
  [BuiltinId.GobEncoderType, wireStruct({ CommonType: BuiltinId.CommonType })],
  [
    BuiltinId.WireType,
    wireStruct({
      ArrayT: BuiltinId.ArrayType,
      SliceT: BuiltinId.SliceType,
      StructT: BuiltinId.StructType,
      MapT: BuiltinId.MapType,
      GobEncoderT: BuiltinId.GobEncoderType,
      BinaryMarshalerT: BuiltinId.GobEncoderType,
      TextMarshalerT: BuiltinId.GobEncoderType,
    }),
  ],
]);

/** Local schema of a type definition, decoded with the same machinery as any value. */
const commonTypeSchema = gob.struct('CommonType', { Name: gob.string, Id: gob.int });
const wireTypeSchema = gob.struct('wireType', {
  ArrayT: gob.pointer(gob.struct('arrayType', { CommonType: commonTypeSchema, Elem: gob.int, Len: gob.int })),
  SliceT: gob.pointer(gob.struct('sliceType', { CommonType: commonTypeSchema, Elem: gob.int })),
  StructT: gob.pointer(
    gob.struct('structType', {
      CommonType: commonTypeSchema,
      Field: gob.slice(gob.pointer(gob.struct('fieldType', { Name: gob.string, Id: gob.int }))),
    }),
  ),
  MapT: gob.pointer(gob.struct('mapType', { CommonType: commonTypeSchema, Key: gob.int, Elem: gob.int })),
  GobEncoderT: gob.pointer(gob.struct('gobEncoderType', { CommonType: commonTypeSchema })),
  BinaryMarshalerT: gob.pointer(gob.struct('gobEncoderType', { CommonType: commonTypeSchema })),
  TextMarshalerT: gob.pointer(gob.struct('gobEncoderType', { CommonType: commonTypeSchema })),
});

function toWireType(def: GobValue<typeof wireTypeSchema>): WireType {
  if (def.StructT) {
    return {
      kind: 'struct',
      name: def.StructT.CommonType.Name,
      fields: def.StructT.Field.map((f) => {
        if (!f) throw new GobError('nil field in a struct definition');
        return { name: f.Name, id: f.Id };
      }),
    };
  }
  if (def.SliceT) return { kind: 'slice', name: def.SliceT.CommonType.Name, elem: def.SliceT.Elem };
  if (def.ArrayT) {
    return { kind: 'array', name: def.ArrayT.CommonType.Name, elem: def.ArrayT.Elem, len: def.ArrayT.Len };
  }
  if (def.MapT) return { kind: 'map', name: def.MapT.CommonType.Name, key: def.MapT.Key, elem: def.MapT.Elem };
  const opaque = def.GobEncoderT ?? def.BinaryMarshalerT ?? def.TextMarshalerT;
  if (opaque) return { kind: 'opaque', name: opaque.CommonType.Name };
  throw new GobError('empty type definition');
}

class ByteReader {
  readonly #buf: Buffer;
  #pos = 0;

  constructor(buf: Buffer) {
    this.#buf = buf;
  }

  get remaining(): number {
    return this.#buf.length - this.#pos;
  }

  #byte(): number {
    if (this.#pos >= this.#buf.length) throw new GobError('unexpected end of message');
    return this.#buf[this.#pos++]!;
  }

  /** An unsigned integer as a number when it is safe, else as a bigint. */
  uint(): number | bigint {
    const first = this.#byte();
    if (first < 0x80) return first;
    const n = 256 - first;
    if (n > 8) throw new GobError(`integer of ${n} bytes`);
    if (n > this.remaining) throw new GobError('unexpected end of message');
    if (n <= 6) {
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + this.#buf[this.#pos++]!;
      return v;
    }
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(this.#buf[this.#pos++]!);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** A count or length, which must fit in what is left of the message. */
  count(what: string): number {
    const v = this.uint();
    if (typeof v === 'bigint' || v > this.remaining) throw new GobError(`${what} of ${v} exceeds the message`);
    return v;
  }

  safeUint(): number {
    const v = this.uint();
    if (typeof v === 'bigint') throw new GobError(`unsigned integer ${v} is beyond JavaScript's safe range`);
    return v;
  }

  int(): number {
    const u = this.uint();
    if (typeof u === 'number') return u % 2 === 1 ? -(u - 1) / 2 - 1 : u / 2;
    const i = u & 1n ? -(u >> 1n) - 1n : u >> 1n;
    if (i > BigInt(Number.MAX_SAFE_INTEGER) || i < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new GobError(`integer ${i} is beyond JavaScript's safe range`);
    }
    return Number(i);
  }

  bytes(): Buffer {
    const n = this.count('byte slice');
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  string(): string {
    const n = this.count('string');
    const out = this.#buf.toString('utf8', this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  skip(n: number): void {
    if (n > this.remaining) throw new GobError('unexpected end of message');
    this.#pos += n;
  }
}

function zeroValue(type: GobType): unknown {
  switch (type.kind) {
    case 'bool':
      return false;
    case 'int':
    case 'uint':
      return 0;
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'slice':
      return [];
    case 'pointer':
      return null;
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const [name, fieldType] of Object.entries(type.fields)) out[name] = zeroValue(fieldType);
      return out;
    }
  }
}

export interface GobDecoderOptions {
  /** Largest message accepted; a larger length prefix means a broken or hostile stream. @default 1 GiB */
  maxMessageBytes?: number;
}

/** Result of `GobDecoder.decode`: the value, or `undefined` while the next message is incomplete. */
export type GobDecoded<T> = { value: T } | undefined;

/**
 * Decodes one gob stream fed in arbitrary chunks. `push` every chunk in order, then call `decode` (or
 * `discard`) until it returns `undefined`/`false`, meaning the next value has not fully arrived.
 * After a `GobError` the stream is out of step and the decoder must be thrown away.
 */
export class GobDecoder {
  readonly #maxMessageBytes: number;
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Types the peer defined on this stream, by id. Resolved lazily: Go defines a struct before its fields' types. */
  #types = new Map<number, WireType>();
  /** Per wire struct, per local schema: the local field for each wire field number (undefined: skip it). */
  #plans = new WeakMap<WireType, WeakMap<GobStructType, (readonly [string, GobType] | undefined)[]>>();

  constructor(options: GobDecoderOptions = {}) {
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Decodes the next value into `type`'s shape, first taking in any type definitions before it. */
  decode<T extends GobType>(type: T): GobDecoded<GobValue<T>> {
    const found = this.#nextValue();
    if (!found) return undefined;
    const [id, reader] = found;
    const value = this.#topLevel(id, type, reader);
    return { value: value as GobValue<T> };
  }

  /** Reads past the next value without a schema (Go's `Decode(nil)`); false while it is incomplete. */
  discard(): boolean {
    const found = this.#nextValue();
    if (!found) return false;
    const [id, reader] = found;
    this.#topLevel(id, undefined, reader);
    return true;
  }

  #topLevel(id: number, type: GobType | undefined, reader: ByteReader): unknown {
    const wire = this.#wire(id);
    let value: unknown;
    if (wire.kind === 'struct') {
      value = this.#read(id, type, reader, 'value');
    } else {
      // A non-struct value travels as a one-field struct: delta 0, then the value, no end mark.
      if (reader.uint() !== 0) throw new GobError('non-zero delta for a singleton value');
      value = this.#read(id, type, reader, 'value');
    }
    if (reader.remaining !== 0) throw new GobError(`${reader.remaining} bytes left after a value`);
    return value;
  }

  /** Takes whole messages off the buffer until one holds a value; undefined if none is complete yet. */
  #nextValue(): [number, ByteReader] | undefined {
    for (;;) {
      const message = this.#takeMessage();
      if (!message) return undefined;
      const reader = new ByteReader(message);
      const id = reader.int();
      if (id >= 0) {
        if (!this.#types.has(id) && !BUILTIN_WIRE_TYPES.has(id)) throw new GobError(`unknown type id ${id}`);
        return [id, reader];
      }
      this.#define(-id, reader);
      // Go's encoder sends each definition as its own message, and Go's decoder insists on it.
      if (reader.remaining !== 0) throw new GobError('extra data after a type definition');
    }
  }

  #define(id: number, reader: ByteReader): void {
    if (id < FIRST_USER_TYPE_ID || this.#types.has(id)) throw new GobError(`duplicate type ${id} received`);
    const def = this.#read(BuiltinId.WireType, wireTypeSchema, reader, 'type definition');
    this.#types.set(id, toWireType(def as GobValue<typeof wireTypeSchema>));
  }

  #takeMessage(): Buffer | undefined {
    if (this.#buffered === 0) return undefined;
    // The length prefix is at most 9 bytes; make sure they are in the first chunk.
    if (this.#chunks[0]!.length < MAX_UINT_BYTES && this.#chunks.length > 1) this.#merge(MAX_UINT_BYTES);
    const head = this.#chunks[0]!;
    const first = head[0]!;
    let size: number;
    let prefix: number;
    if (first < 0x80) {
      size = first;
      prefix = 1;
    } else {
      const n = 256 - first;
      if (n > 8) throw new GobError(`bad message length byte ${first}`);
      if (head.length < n + 1) return undefined;
      size = 0;
      for (let i = 1; i <= n; i++) size = size * 256 + head[i]!;
      prefix = n + 1;
    }
    if (size === 0) throw new GobError('empty message');
    if (size > this.#maxMessageBytes) throw new GobError(`message of ${size} bytes is over the limit`);
    if (this.#buffered < prefix + size) return undefined;
    if (head.length < prefix + size) this.#merge(prefix + size);
    const chunk = this.#chunks[0]!;
    const message = chunk.subarray(prefix, prefix + size);
    if (chunk.length === prefix + size) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(prefix + size);
    this.#buffered -= prefix + size;
    return message;
  }

  /** Joins leading chunks until the first holds at least `n` bytes (or all there is). */
  #merge(n: number): void {
    let count = 0;
    let size = 0;
    while (count < this.#chunks.length && size < n) size += this.#chunks[count++]!.length;
    this.#chunks.splice(0, count, Buffer.concat(this.#chunks.slice(0, count), size));
  }

  #wire(id: number): WireType {
    const wire = this.#types.get(id) ?? BUILTIN_WIRE_TYPES.get(id);
    if (!wire) throw new GobError(`type id ${id} is not defined`);
    return wire;
  }

  /** Reads one value of wire type `id` into `local`'s shape, or skips it when `local` is undefined. */
  #read(id: number, local: GobType | undefined, r: ByteReader, where: string): unknown {
    if (local === undefined) {
      this.#skip(id, r);
      return undefined;
    }
    const type = pointee(local);
    const wire = this.#wire(id);
    const mismatch = (): GobError =>
      new GobError(`type mismatch in ${where}: sent ${wireName(id, wire)}, expected ${describe(type)}`);
    switch (type.kind) {
      case 'bool':
        if (id !== BuiltinId.Bool) throw mismatch();
        return r.safeUint() !== 0;
      case 'int':
        if (id !== BuiltinId.Int) throw mismatch();
        return r.int();
      case 'uint':
        if (id !== BuiltinId.Uint) throw mismatch();
        return r.safeUint();
      case 'string':
        if (id !== BuiltinId.String) throw mismatch();
        return r.string();
      case 'bytes':
        if (id !== BuiltinId.Bytes) throw mismatch();
        return r.bytes();
      case 'slice': {
        if (wire.kind !== 'slice') throw mismatch();
        // Every element takes at least one byte, so a count past the message's end is corrupt.
        const n = r.count('slice length');
        const out: unknown[] = new Array(n);
        for (let i = 0; i < n; i++) out[i] = this.#read(wire.elem, type.elem, r, `${where}[${i}]`);
        return out;
      }
      case 'struct': {
        if (wire.kind !== 'struct') throw mismatch();
        const plan = this.#plan(wire, type, where);
        const out = zeroValue(type) as Record<string, unknown>;
        for (let field = -1; ; ) {
          const delta = r.safeUint();
          if (delta === 0) return out;
          field += delta;
          const wireField = wire.fields[field];
          if (!wireField) throw new GobError(`field number ${field} out of range in ${where}`);
          const target = plan[field];
          if (target) out[target[0]] = this.#read(wireField.id, target[1], r, `${where}.${target[0]}`);
          else this.#skip(wireField.id, r);
        }
      }
    }
  }

  #plan(wire: WireType & { kind: 'struct' }, type: GobStructType, where: string) {
    let byType = this.#plans.get(wire);
    if (!byType) this.#plans.set(wire, (byType = new WeakMap()));
    let plan = byType.get(type);
    if (!plan) {
      plan = wire.fields.map((f) =>
        Object.hasOwn(type.fields, f.name) ? ([f.name, type.fields[f.name]!] as const) : undefined,
      );
      // Go's own check: two structs with fields but none in common are surely not meant for each other.
      if (wire.fields.length > 0 && Object.keys(type.fields).length > 0 && plan.every((p) => p === undefined)) {
        throw new GobError(`type mismatch in ${where}: no fields of ${describe(type)} in ${wire.name || 'struct'}`);
      }
      byType.set(type, plan);
    }
    return plan;
  }

  #skip(id: number, r: ByteReader): void {
    const wire = this.#wire(id);
    switch (wire.kind) {
      case 'builtin':
        switch (wire.id) {
          case BuiltinId.Bool:
          case BuiltinId.Int:
          case BuiltinId.Uint:
          case BuiltinId.Float:
            r.uint();
            return;
          case BuiltinId.Complex:
            r.uint();
            r.uint();
            return;
          case BuiltinId.Bytes:
          case BuiltinId.String:
            r.skip(r.count('byte slice'));
            return;
          default:
            // Interface values may carry their own type definitions mid-value; scf-go-lib sends none.
            throw new GobError('interface values are not supported');
        }
      case 'opaque':
        r.skip(r.count('encoded value'));
        return;
      case 'struct':
        for (let field = -1; ; ) {
          const delta = r.safeUint();
          if (delta === 0) return;
          field += delta;
          const wireField = wire.fields[field];
          if (!wireField) throw new GobError(`field number ${field} out of range in ${wire.name || 'struct'}`);
          this.#skip(wireField.id, r);
        }
      case 'slice':
      case 'array': {
        const n = r.count('slice length');
        for (let i = 0; i < n; i++) this.#skip(wire.elem, r);
        return;
      }
      case 'map': {
        const n = r.count('map length');
        for (let i = 0; i < n; i++) {
          this.#skip(wire.key, r);
          this.#skip(wire.elem, r);
        }
        return;
      }
    }
  }
}

const BUILTIN_NAMES = ['', 'bool', 'int', 'uint', 'float', '[]byte', 'string', 'complex', 'interface'];

function wireName(id: number, wire: WireType): string {
  if (wire.kind === 'builtin') return BUILTIN_NAMES[id] ?? `#${id}`;
  return `${wire.kind} ${wire.name || `#${id}`}`;
}
