'use strict';
// The server's CapabilityStatement (/metadata): FHIR 4.0.1, every resource type with the
// interactions this server really supports (including history-type), and the security block
// for the current auth mode (SMART oauth-uris when the mode is smart).
const { getResourceTypes, globalSchema } = require('@medplum/core');

const INTERACTIONS = [
  'read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create',
  'search-type',
].map((code) => ({ code }));

let resources;

function resourceEntries() {
  if (!resources) {
    resources = getResourceTypes().sort().map((type) => ({
      type,
      interaction: INTERACTIONS,
      versioning: 'versioned',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'not-supported',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      searchParam: Object.entries(globalSchema.types[type]?.searchParams || {}).map(([name, sp]) => ({
        name,
        ...(sp.url ? { definition: sp.url } : undefined),
        type: sp.type,
      })),
    }));
  }
  return resources;
}

function security(auth) {
  const service = (code) => [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code }] },
  ];
  switch (auth.mode) {
    case 'smart':
      return {
        extension: [
          {
            url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
            extension: [{ url: 'token', valueUri: auth.tokenUrl }],
          },
        ],
        service: service('SMART-on-FHIR'),
        description: 'SMART Backend Services (client_credentials + private_key_jwt)',
      };
    case 'bearer':
      return { service: service('OAuth'), description: 'Static bearer token' };
    case 'basic':
      return { service: service('Basic'), description: 'HTTP Basic' };
    default:
      return undefined;
  }
}

function buildCapabilityStatement(baseUrl, auth) {
  const sec = security(auth);
  return {
    resourceType: 'CapabilityStatement',
    id: 'bonewatch-test-fhir-server',
    status: 'active',
    date: '2025-01-01',
    kind: 'instance',
    software: { name: 'BoneWatch test FHIR server (Medplum fhir-router 4.5.2)', version: '0.1.0' },
    implementation: { description: 'In-memory FHIR R4 server for BoneWatch tests', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        ...(sec ? { security: sec } : undefined),
        resource: resourceEntries(),
        interaction: [
          { code: 'transaction' },
          { code: 'batch' },
          { code: 'history-system' },
        ],
      },
    ],
  };
}

module.exports = { buildCapabilityStatement };
