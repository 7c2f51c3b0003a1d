'use strict';

// Samples in exactly the API's shapes (test/app.test.js compares their keys with live answers).
module.exports = {
  document: require('../samples/document.json'),
  message: require('../samples/message.json'),
  supplier: require('../samples/supplier.json'),
};
