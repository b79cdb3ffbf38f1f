'use strict';
// An SCF event function, run by the gateway embedded in the host application.
exports.main_handler = async (event, context) => ({ message: `Hello, ${event.name ?? 'world'}!`, requestId: context.request_id });
