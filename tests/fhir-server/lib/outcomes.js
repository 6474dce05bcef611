'use strict';
// Small helpers for OperationOutcome bodies and HTTP status text.
const http = require('node:http');

const ISSUE_CODE_BY_STATUS = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  409: 'conflict',
  410: 'deleted',
  412: 'conflict',
  422: 'processing',
  429: 'throttled',
  500: 'exception',
  503: 'transient',
};

function outcome(status, diagnostics, severity = status >= 400 ? 'error' : 'information') {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity,
        code: status < 400 ? 'informational' : ISSUE_CODE_BY_STATUS[status] || 'processing',
        diagnostics,
      },
    ],
  };
}

// "201 Created", as Bundle.entry.response.status wants it.
function statusLine(status) {
  const text = http.STATUS_CODES[status];
  return text ? `${status} ${text}` : String(status);
}

// Error carrying an HTTP status and an OperationOutcome.
class FhirError extends Error {
  constructor(status, diagnostics, body) {
    super(diagnostics);
    this.status = status;
    this.body = body || outcome(status, diagnostics);
  }
}

module.exports = { outcome, statusLine, FhirError };
