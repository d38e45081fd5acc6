// Replaces `lilconfig` in the bundles. @mrleebo/prisma-ast searches the current folder for a
// `prisma-ast` config on load, and lilconfig would `require()` a `prisma-ast.config.js` it finds
// there: in a scan of someone's repository that executes workspace code. Perflens configures the
// parser itself, so the search always finds nothing.
'use strict';
const noConfig = () => ({ search: () => null, load: () => null });
module.exports = { lilconfigSync: noConfig, lilconfig: noConfig };
