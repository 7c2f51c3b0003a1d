'use strict';

const samples = require('../lib/samples');
const { listDocuments } = require('../lib/documents');

module.exports = {
  key: 'find_document',
  noun: 'Document',
  display: {
    label: 'Find Document',
    description: 'Finds documents by words: supplier, invoice number, text or file name (newest first).',
  },
  operation: {
    inputFields: [
      {
        key: 'q',
        label: 'Search',
        type: 'string',
        required: true,
        helpText: 'e.g. `INV-2026-042` or `Acme`.',
      },
    ],
    perform: (z, bundle) => listDocuments(z, bundle, { q: bundle.inputData.q, limit: 10 }),
    sample: samples.document,
  },
};
