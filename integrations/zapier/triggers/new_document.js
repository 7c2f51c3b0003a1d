'use strict';

const samples = require('../lib/samples');
const { listDocuments } = require('../lib/documents');
const hooks = require('../lib/hooks');

const EVENT = 'document.created';

module.exports = {
  key: 'new_document',
  noun: 'Document',
  display: {
    label: 'New Document',
    description: 'Triggers at once when a mailed or uploaded invoice or receipt becomes a document.',
  },
  operation: {
    type: 'hook',
    performSubscribe: hooks.subscribe(EVENT),
    performUnsubscribe: hooks.unsubscribe,
    perform: hooks.perform(EVENT),
    // No delivery yet (a new account): the newest documents, which have the same shape.
    performList: hooks.recentDeliveries(EVENT, (z, bundle) => listDocuments(z, bundle, { limit: 3 })),
    sample: samples.document,
  },
};
