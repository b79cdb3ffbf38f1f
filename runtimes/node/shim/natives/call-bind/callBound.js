// call-bind/callBound('Array.prototype.push') (or '%Array.prototype.push%'): that intrinsic method as a
// function taking its receiver first, looked up on the global object instead of through get-intrinsic.
module.exports = function callBound(name) {
  const path = name.replace(/^%|%$/g, '').split('.');
  let value = globalThis;
  for (const key of path) value = value?.[key];
  if (typeof value !== 'function') throw new TypeError(`intrinsic ${name} does not exist`);
  return Function.prototype.call.bind(value);
};
