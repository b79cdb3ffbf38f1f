// call-bind(fn): fn as a function taking its receiver first.
module.exports = (fn) => Function.prototype.call.bind(fn);
