'use strict';

const samples = require('../lib/samples');
const { apiUrl } = require('../lib/api');
const hooks = require('../lib/hooks');

const EVENT = 'message.failed';

const failedMessages = async (z, bundle) => {
  const response = await z.request({ url: apiUrl(bundle, '/messages'), params: { limit: 50 } });
  return response.data.items.filter((message) => message.status === 'failed').slice(0, 3);
};

module.exports = {
  key: 'failed_mail',
  noun: 'Mail',
  display: {
    label: 'Failed Mail',
    description: 'Triggers when a received mail could not be processed (its reason says why).',
  },
  operation: {
    type: 'hook',
    performSubscribe: hooks.subscribe(EVENT),
    performUnsubscribe: hooks.unsubscribe,
    perform: hooks.perform(EVENT),
    performList: hooks.recentDeliveries(EVENT, failedMessages),
    sample: samples.message,
  },
};
