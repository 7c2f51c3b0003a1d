'use strict';

const samples = require('../lib/samples');
const { listDocuments } = require('../lib/documents');

// For servers that cannot reach Zapier (outgoing traffic blocked): Zapier asks every few
// minutes and starts Zaps for ids it has not seen. A week's window keeps each poll small.
const WINDOW_MS = 7 * 24 * 3600 * 1000;

const perform = (z, bundle) => {
  if (bundle.meta && bundle.meta.isLoadingSample) {
    return listDocuments(z, bundle, { limit: 3 });
  }
  const since = new Date(Date.now() - WINDOW_MS).toISOString();
  return listDocuments(z, bundle, { since, limit: 100 });
};

module.exports = {
  key: 'new_document_polling',
  noun: 'Document',
  display: {
    label: 'New Document (Polling)',
    description:
      'Triggers when a new document arrives, checking every few minutes. For servers that cannot send webhooks to Zapier; otherwise use New Document.',
  },
  operation: {
    type: 'polling',
    perform,
    sample: samples.document,
  },
};
