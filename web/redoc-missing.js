/*
 * redoc-missing.js - compiled in place of Redoc's bundle when the build
 * found no node_modules/redoc (CMakeLists.txt): /docs then says so and links
 * to the document itself. scripts/build.sh runs `npm ci` first, so `make run`
 * and `make test` never get this.
 */
'use strict';
window.Redoc = {
  init: function (url, options, element) {
    var p = document.createElement('p');
    p.appendChild(document.createTextNode(
      'This server was built without Redoc (run scripts/npm-ci.sh, then rebuild). ' +
      'The API description is at '));
    var a = document.createElement('a');
    a.href = url;
    a.textContent = url;
    p.appendChild(a);
    element.appendChild(p);
  },
};
