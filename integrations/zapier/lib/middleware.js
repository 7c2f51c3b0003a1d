'use strict';

const { isOwnApi } = require('./api');

const addToken = (request, z, bundle) => {
  if (bundle.authData && bundle.authData.token && isOwnApi(bundle, request.url)) {
    request.headers = request.headers || {};
    request.headers.Authorization = `Bearer ${bundle.authData.token}`;
  }
  return request;
};

// The API answers errors as {"error": {"code", "message"}}: show the user that message.
// 429 is left to the platform, which retries after Retry-After (ThrottledError).
const explainErrors = (response, z, bundle) => {
  const request = response.request || {};
  if (
    response.status < 400 ||
    response.status === 429 ||
    request.raw || // file downloads: checked where they are read
    request.skipThrowForStatus || // the caller handles this status itself
    !isOwnApi(bundle, request.url)
  ) {
    return response;
  }
  let error = {};
  try {
    error = JSON.parse(response.content).error || {};
  } catch (err) {
    // not our JSON (a proxy's page): fall back to the status
  }
  const message = error.message || `the server answered HTTP ${response.status}`;
  if (response.status === 401) {
    throw new z.errors.Error(`invoice-inbox refused the token: ${message}`, 'AuthenticationError', 401);
  }
  throw new z.errors.Error(message, error.code || `http_${response.status}`, response.status);
};

module.exports = { addToken, explainErrors };
