'use strict';
// A callback-style handler; the timer still runs inside this invocation because
// context.callbackWaitsForEmptyEventLoop defaults to true.
let invocations = 0;

exports.main_handler = (event, context, callback) => {
  invocations += 1;
  setTimeout(() => console.log('timer fired after the callback'), 10);
  callback(null, { invocations, remainingMs: context.getRemainingTimeInMillis() });
};
