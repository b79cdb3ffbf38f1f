// Runs inside the isolate, on demand (on the first use of the `performance` global or of `perf_hooks`).
// User Timing (mark, measure, getEntries*), PerformanceObserver for marks and measures, timerify, and what
// an isolate cannot measure as Node's shapes: event loop utilisation, delay histograms, GC entries (never).
/* global internal */
const { timeOrigin } = internal;
const now = () => Date.now() - timeOrigin;
const entries = [];
const observers = new Set();

class PerformanceEntry {
  constructor(name, entryType, startTime, duration, detail) {
    this.name = name;
    this.entryType = entryType;
    this.startTime = startTime;
    this.duration = duration;
    if (detail !== undefined) this.detail = detail;
  }

  toJSON() {
    return { name: this.name, entryType: this.entryType, startTime: this.startTime, duration: this.duration, detail: this.detail };
  }
}

class PerformanceMark extends PerformanceEntry {
  constructor(name, options = {}) {
    super(String(name), 'mark', options?.startTime ?? now(), 0, options?.detail ?? null);
  }
}

class PerformanceMeasure extends PerformanceEntry {}

class PerformanceObserverEntryList {
  #entries;

  constructor(list) {
    this.#entries = list;
  }

  getEntries() {
    return [...this.#entries];
  }

  getEntriesByType(type) {
    return this.#entries.filter((entry) => entry.entryType === type);
  }

  getEntriesByName(name, type) {
    return this.#entries.filter((entry) => entry.name === name && (type === undefined || entry.entryType === type));
  }
}

class PerformanceObserver {
  #callback;
  #types = new Set();
  #buffer = [];
  #scheduled = false;

  constructor(callback) {
    if (typeof callback !== 'function') {
      const error = new TypeError('The "callback" argument must be of type function');
      error.code = 'ERR_INVALID_ARG_TYPE';
      throw error;
    }
    this.#callback = callback;
  }

  static get supportedEntryTypes() {
    return ['function', 'gc', 'http', 'http2', 'mark', 'measure', 'net', 'resource'];
  }

  observe(options = {}) {
    for (const type of options.entryTypes ?? [options.type]) if (type !== undefined) this.#types.add(type);
    observers.add(this);
  }

  disconnect() {
    observers.delete(this);
    this.#types.clear();
  }

  takeRecords() {
    return this.#buffer.splice(0);
  }

  // Entries reach the callback together, after the code that made them, as Node queues them.
  _enqueue(entry) {
    if (!this.#types.has(entry.entryType)) return;
    this.#buffer.push(entry);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setTimeout(() => {
        this.#scheduled = false;
        const list = new PerformanceObserverEntryList(this.takeRecords());
        if (list.getEntries().length > 0) this.#callback(list, this);
      }, 0).unref();
    }
  }
}

function record(entry) {
  entries.push(entry);
  for (const observer of observers) observer._enqueue(entry);
  return entry;
}

function markTime(name) {
  if (name === undefined) return undefined;
  if (typeof name === 'number') return name;
  const found = entries.findLast((entry) => entry.entryType === 'mark' && entry.name === name);
  if (found === undefined) {
    const error = new SyntaxError(`The "${name}" performance mark has not been set`);
    error.name = 'SyntaxError';
    error.code = 'ERR_INVALID_PERFORMANCE_MARK';
    throw error;
  }
  return found.startTime;
}

const performance = {
  timeOrigin,
  now,
  mark: (name, options) => record(new PerformanceMark(name, options)),
  measure(name, startOrOptions, endMark) {
    const options = typeof startOrOptions === 'object' && startOrOptions !== null ? startOrOptions : { start: startOrOptions, end: endMark };
    const start = markTime(options.start) ?? 0;
    const end = options.duration !== undefined ? start + options.duration : (markTime(options.end) ?? now());
    return record(new PerformanceMeasure(String(name), 'measure', start, end - start, options.detail ?? null));
  },
  clearMarks: (name) => removeEntries('mark', name),
  clearMeasures: (name) => removeEntries('measure', name),
  clearResourceTimings: () => {},
  getEntries: () => [...entries],
  getEntriesByName: (name, type) => entries.filter((entry) => entry.name === name && (type === undefined || entry.entryType === type)),
  getEntriesByType: (type) => entries.filter((entry) => entry.entryType === type),
  // Wraps fn so each call is recorded as a 'function' entry.
  timerify(fn) {
    const timed = function (...args) {
      const start = now();
      const result = new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
      record(new PerformanceEntry(fn.name, 'function', start, now() - start));
      return result;
    };
    Object.defineProperty(timed, 'name', { value: `timerified ${fn.name}` });
    return timed;
  },
  eventLoopUtilization: () => ({ idle: 0, active: 0, utilization: 0 }),
  nodeTiming: { name: 'node', entryType: 'node', startTime: 0, duration: 0 },
  toJSON: () => ({ timeOrigin, nodeTiming: performance.nodeTiming, eventLoopUtilization: performance.eventLoopUtilization() }),
};

function removeEntries(type, name) {
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].entryType === type && (name === undefined || entries[i].name === name)) entries.splice(i, 1);
  }
}

// Node's histograms: the isolate has no event loop probe, so they stay empty.
function createHistogram() {
  return {
    min: 9223372036854776000, max: 0, mean: NaN, stddev: NaN, count: 0, exceeds: 0, percentiles: new Map(),
    percentile: () => 0, reset() {}, record() {}, recordDelta() {}, enable: () => true, disable: () => true,
  };
}

Object.defineProperty(globalThis, 'performance', { value: performance, writable: true, configurable: true, enumerable: true });

internal.modules.perf_hooks = {
  performance,
  PerformanceEntry,
  PerformanceMark,
  PerformanceMeasure,
  PerformanceObserver,
  PerformanceObserverEntryList,
  monitorEventLoopDelay: () => createHistogram(),
  createHistogram,
  constants: {
    NODE_PERFORMANCE_GC_MAJOR: 4, NODE_PERFORMANCE_GC_MINOR: 1, NODE_PERFORMANCE_GC_INCREMENTAL: 8, NODE_PERFORMANCE_GC_WEAKCB: 16,
    NODE_PERFORMANCE_GC_FLAGS_NO: 0, NODE_PERFORMANCE_GC_FLAGS_CONSTRUCT_RETAINED: 2, NODE_PERFORMANCE_GC_FLAGS_FORCED: 4,
    NODE_PERFORMANCE_GC_FLAGS_SYNCHRONOUS_PHANTOM_PROCESSING: 8, NODE_PERFORMANCE_GC_FLAGS_ALL_AVAILABLE_GARBAGE: 16,
    NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY: 32, NODE_PERFORMANCE_GC_FLAGS_SCHEDULE_IDLE: 64,
  },
};
