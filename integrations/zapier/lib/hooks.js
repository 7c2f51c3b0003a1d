'use strict';

// REST-hook triggers: a subscription per Zap on /api/v1/hooks. Deliveries are Standard Webhooks
// bodies {"type", "timestamp", "data"}; a Zap gets `data`, the API's own object.

const { apiUrl } = require('./api');

const subscribe = (event) => async (z, bundle) => {
  const response = await z.request({
    url: apiUrl(bundle, '/hooks'),
    method: 'POST',
    body: { event, target_url: bundle.targetUrl },
  });
  return response.data; // {id, event, target_url, secret, created_at}: kept as bundle.subscribeData
};

const unsubscribe = async (z, bundle) => {
  const id = bundle.subscribeData && bundle.subscribeData.id;
  if (!id) {
    return {};
  }
  const response = await z.request({
    url: apiUrl(bundle, `/hooks/${encodeURIComponent(id)}`),
    method: 'DELETE',
    skipThrowForStatus: true,
  });
  // 404: already gone (the server drops a subscription whose target answered 410).
  if (response.status !== 204 && response.status !== 404) {
    response.throwForStatus();
  }
  return {};
};

// One delivery in, one item out; a body of another event (a shared URL) gives nothing.
const perform = (event) => async (z, bundle) => {
  const body = bundle.cleanedRequest || {};
  if (body.type !== event || !body.data || !body.data.id) {
    return [];
  }
  return [body.data];
};

// "Test your trigger": recent real deliveries (GET /api/v1/hooks/sample), else `fallback`.
const recentDeliveries = (event, fallback) => async (z, bundle) => {
  const response = await z.request({ url: apiUrl(bundle, '/hooks/sample'), params: { event } });
  const items = response.data.items.map((delivery) => delivery.data);
  return items.length ? items : fallback(z, bundle);
};

module.exports = { perform, recentDeliveries, subscribe, unsubscribe };
