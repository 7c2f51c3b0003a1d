'use strict';

const FormData = require('form-data');

const samples = require('../lib/samples');
const { apiUrl } = require('../lib/api');

// The name to give the server (which keeps only the last path segment of whatever it gets):
// the user's, else the file response's Content-Disposition, else the URL's last segment.
const filenameOf = (bundle, response) => {
  if (bundle.inputData.filename) {
    return String(bundle.inputData.filename);
  }
  const disposition = response.headers.get('content-disposition') || '';
  const quoted = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  if (quoted) {
    return decodeURIComponent(quoted[1]);
  }
  const segment = new URL(response.url || bundle.inputData.file).pathname.split('/').pop();
  return segment ? decodeURIComponent(segment) : 'document.pdf';
};

// The file field holds a URL (Zapier hands files over as URLs). It is fetched without our
// token unless it points at our own API (isOwnApi in the request middleware).
const fetchFile = async (z, bundle) => {
  const response = await z.request({ url: bundle.inputData.file, raw: true, skipThrowForStatus: true });
  if (response.status >= 400) {
    throw new z.errors.Error(
      `Could not fetch the file to upload (HTTP ${response.status} from ${new URL(bundle.inputData.file).host})`,
      'file_unavailable',
      response.status,
    );
  }
  return {
    data: await response.buffer(),
    filename: filenameOf(bundle, response),
    contentType: response.headers.get('content-type') || 'application/octet-stream',
  };
};

const perform = async (z, bundle) => {
  const file = await fetchFile(z, bundle);
  const form = new FormData();
  form.append('file', file.data, { filename: file.filename, contentType: file.contentType });
  const response = await z.request({
    url: apiUrl(bundle, '/documents'),
    method: 'POST',
    params: { wait: 30 },
    body: form,
  });
  // 201: {message, documents}. 202 (still being read after 30 s): the message alone, given
  // the same shape so that later steps map the same fields.
  return response.status === 202 ? { message: response.data, documents: [] } : response.data;
};

module.exports = {
  key: 'upload_document',
  noun: 'Document',
  display: {
    label: 'Upload Document',
    description:
      'Creates a document from a PDF, e-invoice or image, read like a mailed invoice (counts toward your plan).',
  },
  operation: {
    inputFields: [
      { key: 'file', label: 'File', type: 'file', required: true, helpText: 'A PDF, XML e-invoice or image.' },
      {
        key: 'filename',
        label: 'File Name',
        type: 'string',
        required: false,
        helpText: 'e.g. `invoice-2026-11.pdf`. Leave empty to keep the name the file came with.',
      },
    ],
    perform,
    sample: { message: samples.message, documents: [samples.document] },
  },
};
