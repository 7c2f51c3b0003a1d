'use strict';

const { apiUrl } = require('./api');

// GET /api/v1/documents: newest first, filtered like the web's list.
const listDocuments = async (z, bundle, params) => {
  const response = await z.request({ url: apiUrl(bundle, '/documents'), params });
  return response.data.items;
};

module.exports = { listDocuments };
