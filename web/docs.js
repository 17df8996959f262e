/*
 * docs.js - GET /docs: Redoc (compiled into the server, see CMakeLists.txt)
 * renders the OpenAPI document the server itself serves at /openapi.yaml.
 * No fonts or anything else from another host: the page's CSP would refuse
 * them anyway.
 */
'use strict';
Redoc.init('/openapi.yaml', {
  hideDownloadButton: false,
  expandResponses: '200,201',
  pathInMiddlePanel: true,
  theme: {
    typography: {
      fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
      headings: { fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif' },
      code: { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace' },
    },
  },
}, document.getElementById('redoc'));
