'use strict';
// The server's CapabilityStatement (/metadata): FHIR 4.0.1, every resource type with the
// interactions this server really supports (history-type and history-system unless in medplum
// mode), and the security block for the current auth mode (SMART oauth-uris when the mode is
// smart).
const { getResourceTypes, globalSchema } = require('@medplum/core');

const INTERACTIONS = [
  'read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'history-type', 'create',
  'search-type',
].map((code) => ({ code }));
const INTERACTIONS_WITHOUT_TYPE_HISTORY = INTERACTIONS.filter((i) => i.code !== 'history-type');

const resourcesByVariant = new Map();

function resourceEntries(typeHistory) {
  let resources = resourcesByVariant.get(typeHistory);
  if (!resources) {
    resources = getResourceTypes().sort().map((type) => ({
      type,
      interaction: typeHistory ? INTERACTIONS : INTERACTIONS_WITHOUT_TYPE_HISTORY,
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
    resourcesByVariant.set(typeHistory, resources);
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

// options.typeHistory (default true): advertise history-type and history-system.
function buildCapabilityStatement(baseUrl, auth, options = {}) {
  const typeHistory = options.typeHistory !== false;
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
        resource: resourceEntries(typeHistory),
        interaction: [
          { code: 'transaction' },
          { code: 'batch' },
          ...(typeHistory ? [{ code: 'history-system' }] : []),
        ],
      },
    ],
  };
}

module.exports = { buildCapabilityStatement };
