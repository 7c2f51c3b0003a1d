'use strict';

const { version } = require('./package.json');
const { version: platformVersion } = require('zapier-platform-core');

const authentication = require('./authentication');
const { addToken, explainErrors } = require('./lib/middleware');
const newDocument = require('./triggers/new_document');
const newDocumentPolling = require('./triggers/new_document_polling');
const failedMail = require('./triggers/failed_mail');
const uploadDocument = require('./creates/upload_document');
const createSupplier = require('./creates/create_supplier');
const findDocument = require('./searches/find_document');

const byKey = (...operations) => Object.fromEntries(operations.map((op) => [op.key, op]));

module.exports = {
  version,
  platformVersion,
  authentication,
  beforeRequest: [addToken],
  afterResponse: [explainErrors],
  triggers: byKey(newDocument, newDocumentPolling, failedMail),
  creates: byKey(uploadDocument, createSupplier),
  searches: byKey(findDocument),
};
