'use strict';
// An async handler: the returned value is the result.
exports.main_handler = async (event, context) => {
  console.log('hello invoked with', JSON.stringify(event));
  return { message: `Hello, ${event.name ?? 'world'}!`, requestId: context.request_id };
};
