/** store/row-packing.mjs: rows packed as they are pushed read back as the values pushed, in order. */
import t from 'tap';
import { RowPacker, packable, sharedColumnsMask, unpackRows } from '../../store/row-packing.mjs';

/** What a string is once stored as UTF-8 (lone surrogates become U+FFFD), computed by Node itself. */
const asUtf8 = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

function unpacked(packer: RowPacker): Array<[string, unknown[]]> {
  const packed = packer.take();
  if (packed === undefined) return [];
  const out: Array<[string, unknown[]]> = [];
  // The worker receives a structured clone: decode that, not the packer's own object.
  unpackRows(structuredClone(packed), (statement, row) => out.push([statement, [...row]]));
  return out;
}

t.test('numbers, nulls and strings come back as pushed, each row under its statement, in push order', async (t) => {
  const numbers = [0, -0, 1, -1, 0.1 + 0.2, 1.005, 2 ** 53, -(2 ** 31), 1e300, Number.MIN_VALUE, Infinity, -Infinity, NaN, Date.now(), performance.now()];
  const strings = ['', 'a', 'RequestId: 0193a5c4-0000-7000-8000-000000000000', 'ünïcödé', '日本語のログ', 'emoji 🎉 pair', 'lone \ud800 surrogate', 'nul\u0000inside', 'x'.repeat(70_000)];
  const packer = new RowPacker();
  const rows: Array<[string, unknown[]]> = [
    ['insertInvocation', ['id-1', 'default', 'hello', '$LATEST', 'sync', ...numbers, null, null]],
    ['insertLog', ['id-1', 'default', 'hello', 1, 'a line']],
    ['keepReplacedFrame', ['id-2']],
    ['insertLog', strings],
    ['insertInvocation', ['id-3', 'ns 2', 'fn 2', '2', 'async', null, ...strings]],
  ];
  const shared: Record<string, number> = { insertInvocation: sharedColumnsMask([1, 2, 3, 4]), insertLog: sharedColumnsMask([1, 2]), keepReplacedFrame: 0 };
  for (const [statement, row] of rows) packer.push(statement, row, shared[statement]!);
  t.equal(packer.rows, rows.length);
  const back = unpacked(packer);
  t.equal(back.length, rows.length);
  for (const [i, [statement, row]] of rows.entries()) {
    t.equal(back[i]![0], statement, `row ${i}'s statement`);
    t.same(back[i]![1], row.map((value) => (typeof value === 'string' ? asUtf8(value) : value)), `row ${i}'s values`);
    for (const [j, value] of row.entries()) {
      if (typeof value === 'number') t.ok(Object.is(back[i]![1][j], value), `row ${i} value ${j}: ${value} exactly`);
    }
  }
  t.equal(packer.rows, 0, 'take() starts over');
  t.equal(packer.take(), undefined, 'nothing packed since');
});

t.test('each batch carries its own strings: a batch decodes alone, whatever came before', async (t) => {
  const packer = new RowPacker();
  packer.push('insertLog', ['a', 'ns', 'fn', 1, 'one'], sharedColumnsMask([1, 2]));
  const first = packer.take()!;
  packer.push('insertLog', ['b', 'other', 'fn', 2, 'two'], sharedColumnsMask([1, 2]));
  const second = packer.take()!;
  const rows: unknown[][] = [];
  for (const batch of [second, first, second]) unpackRows(structuredClone(batch), (_, row) => rows.push([...row]));
  t.same(rows, [['b', 'other', 'fn', 2, 'two'], ['a', 'ns', 'fn', 1, 'one'], ['b', 'other', 'fn', 2, 'two']]);
  t.equal(first.bytes.byteLength, first.bytes.buffer.byteLength, 'a batch owns exactly its bytes (a clone copies no more)');
});

t.test('the buffer grows past its first size and keeps every row', async (t) => {
  const packer = new RowPacker();
  const rows = Array.from({ length: 5000 }, (_, i) => [`request ${i}`, 'default', 'hello', i, `line ${'z'.repeat(i % 300)}`]);
  for (const row of rows) packer.push('insertLog', row, sharedColumnsMask([1, 2]));
  const back = unpacked(packer).map(([, row]) => row);
  t.same(back, rows);
});

t.test('only rows of null, numbers and strings pack', async (t) => {
  t.ok(packable(['a', 1, null]));
  t.ok(packable([]));
  for (const value of [undefined, true, 1n, Buffer.from('x'), {}, [1]]) t.notOk(packable(['a', value]), `${typeof value} ${String(value)}`);
});

t.test('shared columns: a string sent once per batch, whatever its column; other columns inline', async (t) => {
  const packer = new RowPacker();
  const rows = [['x', 'same', 'x', 'same'], ['y', 'same', 'y', 'same']];
  for (const row of rows) packer.push('s', row, sharedColumnsMask([1, 3]));
  t.same(packer.take()!.strings, ['s', 'same'], 'the statement name and the shared value, once');
  for (const row of rows) packer.push('s', row, 0);
  const packed = packer.take()!;
  t.same(packed.strings, ['s']);
  const back: unknown[][] = [];
  unpackRows(packed, (_, row) => back.push([...row]));
  t.same(back, rows);
  t.equal(sharedColumnsMask([0, 31, 32, 40]), (1 | (1 << 31)), 'columns past 31 are never shared');
});

t.test('after a batch of large rows the packer starts small again and packs the next batch whole', async (t) => {
  const packer = new RowPacker();
  const large = ['id', 'ñ'.repeat(2_000_000)];
  packer.push('insertLog', large, 0);
  t.same(unpacked(packer).map(([, row]) => row), [large]);
  const small = Array.from({ length: 100 }, (_, i) => [`id ${i}`, `line ${i}`]);
  for (const row of small) packer.push('insertLog', row, 0);
  t.same(unpacked(packer).map(([, row]) => row), small);
});
