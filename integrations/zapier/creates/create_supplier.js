'use strict';

const samples = require('../lib/samples');
const { apiUrl } = require('../lib/api');

const perform = async (z, bundle) => {
  const { name, emails, vat_id: vatId, iban } = bundle.inputData;
  const body = { name, emails: (emails || []).filter(Boolean) };
  if (vatId) body.vat_id = vatId;
  if (iban) body.iban = iban;
  const response = await z.request({ url: apiUrl(bundle, '/suppliers'), method: 'POST', body });
  return response.data; // 201 created, 200 updated: the supplier either way
};

module.exports = {
  key: 'create_supplier',
  noun: 'Supplier',
  display: {
    label: 'Create or Update Supplier',
    description:
      'Creates a supplier, or updates the one with the same VAT ID (else one of the same e-mails); its invoices get matched to it.',
  },
  operation: {
    inputFields: [
      { key: 'name', label: 'Name', type: 'string', required: true },
      {
        key: 'emails',
        label: 'E-mail Addresses',
        type: 'string',
        list: true,
        required: false,
        helpText: 'The addresses its invoices come from.',
      },
      { key: 'vat_id', label: 'VAT ID', type: 'string', required: false },
      { key: 'iban', label: 'IBAN', type: 'string', required: false },
    ],
    perform,
    sample: samples.supplier,
  },
};
