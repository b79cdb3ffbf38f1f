'use strict';
// Uses a pure-JS package from the function's own node_modules.
const ms = require('ms');

exports.main_handler = async (event) => ({ input: event.duration ?? '2h', milliseconds: ms(event.duration ?? '2h') });
