'use strict';

// Where the self-hosted server is and how to reach its API: the base URL is an auth field, so
// every request is built from it, and only requests to it carry the token.

const API_PREFIX = '/api/v1';

// "https://inbox.example.com/" and "inbox.example.com" both mean https://inbox.example.com.
const baseUrl = (bundle) => {
  let url = String((bundle.authData && bundle.authData.base_url) || '').trim();
  if (!url) {
    throw new Error('Enter the address of your invoice-inbox server, e.g. https://inbox.example.com');
  }
  if (!/^https?:\/\//i.test(url)) {
    url = `https://${url}`;
  }
  return url.replace(/\/+$/, '');
};

const apiUrl = (bundle, path) => `${baseUrl(bundle)}${API_PREFIX}${path}`;

// True for requests to our own API: a file fetched from elsewhere must never get the token.
const isOwnApi = (bundle, url) => {
  try {
    return String(url).startsWith(`${baseUrl(bundle)}${API_PREFIX}/`);
  } catch (err) {
    return false;
  }
};

module.exports = { API_PREFIX, apiUrl, baseUrl, isOwnApi };
