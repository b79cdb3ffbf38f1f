'use strict';
// Reads the function's variables and SCF's built-in ones.
exports.main_handler = async () => ({
  greeting: process.env.GREETING,
  functionName: process.env.SCF_FUNCTIONNAME,
  namespace: process.env.SCF_NAMESPACE,
  memorySize: process.env.SCF_MEMORYSIZE,
  region: process.env.TENCENTCLOUD_REGION,
});
