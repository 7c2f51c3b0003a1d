'use strict';

const { apiUrl } = require('./lib/api');

// The connection test: who this token belongs to.
const test = async (z, bundle) => {
  const response = await z.request({ url: apiUrl(bundle, '/me') });
  return response.data;
};

module.exports = {
  type: 'custom',
  fields: [
    {
      key: 'base_url',
      label: 'Server address',
      type: 'string',
      required: true,
      helpText:
        'The web address of your invoice-inbox server, e.g. `https://inbox.example.com` ' +
        '(it must be reachable from the internet).',
    },
    {
      key: 'token',
      label: 'API token',
      type: 'password',
      required: true,
      helpText:
        'Create one under **Integrations** in invoice-inbox (or `inbox token create YOU --name Zapier`). ' +
        'It is shown once and starts with `iib_`.',
    },
  ],
  test,
  connectionLabel: (z, bundle) => {
    const account = (bundle.inputData && bundle.inputData.account) || {};
    return `${account.name} (${account.inbox_address})`;
  },
};
